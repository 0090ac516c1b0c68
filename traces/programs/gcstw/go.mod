module gcstw

go 1.22
