module manygoroutines

go 1.22
