module fileio

go 1.22
