module stagecraft.dev/cipherdesk

go 1.24
