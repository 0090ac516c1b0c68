module reuse

go 1.23
