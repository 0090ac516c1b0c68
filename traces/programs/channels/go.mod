module channels

go 1.22
