module example.com/recordtests

go 1.22
