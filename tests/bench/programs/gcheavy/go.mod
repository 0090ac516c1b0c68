module gcheavy

go 1.22
