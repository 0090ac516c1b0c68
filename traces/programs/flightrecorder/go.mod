module flightrecorder

go 1.22
