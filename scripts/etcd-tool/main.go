// etcd for the tests' Kubernetes API server. `go install go.etcd.io/etcd/v3` refuses the replace
// directives of etcd's root module, so this module builds the server package's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
