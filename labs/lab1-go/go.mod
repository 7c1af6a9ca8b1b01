module example.com/wordsmith

go 1.24
