// DNS client for the launcher tests written in Go: the pure-Go resolver (CGO disabled) connects a UDP
// socket to the server and writes to it. Prints "NAME ok ADDRESS" or "NAME error MESSAGE".
package main

import (
	"context"
	"fmt"
	"net"
	"os"
)

func main() {
	resolver := &net.Resolver{PreferGo: true}
	failed := false
	for _, name := range os.Args[1:] {
		addrs, err := resolver.LookupIP(context.Background(), "ip4", name)
		if err != nil {
			if dnsErr, ok := err.(*net.DNSError); ok && dnsErr.IsNotFound {
				fmt.Printf("%s error not found\n", name)
			} else {
				fmt.Printf("%s error %v\n", name, err)
			}
			failed = true
			continue
		}
		fmt.Printf("%s ok %s\n", name, addrs[0])
	}
	if failed {
		os.Exit(1)
	}
}
