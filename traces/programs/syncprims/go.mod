module syncprims

go 1.22
