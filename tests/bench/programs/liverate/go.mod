module liverate

go 1.22
