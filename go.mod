module github.com/npusim/npusim

go 1.26

require (
	github.com/sarchlab/akita/v3 v3.1.0
	github.com/schollz/progressbar/v3 v3.19.1
	golang.org/x/term v0.44.0
	google.golang.org/protobuf v1.36.12
	gopkg.in/ini.v1 v1.67.0
)

require (
	github.com/go-sql-driver/mysql v1.7.1 // indirect
	github.com/mattn/go-sqlite3 v1.14.16 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/rs/xid v1.6.0 // indirect
	github.com/tebeka/atexit v0.3.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
)
