module github.com/npusim/npusim

go 1.26

require (
	github.com/sarchlab/akita/v3 v3.1.0
	gopkg.in/ini.v1 v1.67.0
)

require (
	github.com/rs/xid v1.6.0 // indirect
	github.com/stretchr/testify v1.5.1 // indirect
)
