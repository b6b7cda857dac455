// Command configdoc prints the configuration reference generated from the
// Config struct (make docs writes it to docs/configuration.md).
package main

import (
	"fmt"

	"github.com/ocopconnect/ocopconnect/internal/config"
)

func main() { fmt.Print(config.Markdown()) }
