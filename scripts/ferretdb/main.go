// Command ferretdb-embedded runs FerretDB 1.24.2 (SQLite backend, or PostgreSQL
// with -postgresql-url) on one TCP address. It exists only because `go install
// .../cmd/ferretdb` builds a binary that panics (its version file is generated);
// the embeddable package does not. scripts/lib/database.ts builds it against a
// patched copy of FerretDB (lookups by _id, one or a list, use the _id index;
// FERRETDB_PATCHES there).
// Used by the platform's tests and the local start command; never in production.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", ".data/ferretdb", "directory for the SQLite files")
	postgresql := flag.String("postgresql-url", "", "use PostgreSQL at this URL instead of SQLite (npm run bench:backends)")
	flag.Parse()

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	}
	if *postgresql != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgresql
	}
	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("ferretdb listening on %s, data in %s", *listen, *dir)
	f.Run(ctx)
}
