// Builds Go module zips with golang.org/x/mod/zip, the code the go command itself uses to
// make and check them, and hashes them with golang.org/x/mod/sumdb/dirhash as go.sum does.
// Built by test/helpers/go-modules.ts in GOPATH mode against Debian's golang-golang-x-mod-dev.
//
// stdin:  [{"path": "example.com/a", "version": "v1.0.0", "dir": "/tmp/src", "zip": "/tmp/a.zip"}, ...]
// stdout: [{"zipHash": "h1:...", "modHash": "h1:..."}, ...]  (go.sum's two lines for each)
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

type request struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Dir     string `json:"dir"`
	Zip     string `json:"zip"`
}

type result struct {
	ZipHash string `json:"zipHash"`
	ModHash string `json:"modHash"`
}

func main() {
	var requests []request
	if err := json.NewDecoder(os.Stdin).Decode(&requests); err != nil {
		fail(err)
	}
	results := []result{}
	for _, r := range requests {
		out, err := os.Create(r.Zip)
		if err != nil {
			fail(err)
		}
		if err := zip.CreateFromDir(out, module.Version{Path: r.Path, Version: r.Version}, r.Dir); err != nil {
			fail(err)
		}
		if err := out.Close(); err != nil {
			fail(err)
		}
		zipHash, err := dirhash.HashZip(r.Zip, dirhash.Hash1)
		if err != nil {
			fail(err)
		}
		goMod, err := os.ReadFile(filepath.Join(r.Dir, "go.mod"))
		if err != nil {
			fail(err)
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(goMod)), nil
		})
		if err != nil {
			fail(err)
		}
		results = append(results, result{ZipHash: zipHash, ModHash: modHash})
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(1)
}
