module stagecraft.dev/hookrelay

go 1.24
