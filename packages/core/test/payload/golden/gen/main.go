// Regenerates the golden *.body files from *.input.json with Go's encoding/json, through the same types and
// JSON round trip as the original Watch-Proxy (emitter/emitter.go Wrapper and PayloadRoot), so the expected bytes
// come from Go itself rather than from the encoder under test. Run from this folder's parent:
//
//	go run ./gen
//
// Go 1.22+ writes \b and \f as short escapes where Go 1.13 wrote \u0008 and \u000c, so the inputs avoid those two
// characters; the unit tests cover them by hand.
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

type Wrapper struct {
	AssetID   string                 `json:"asset_type_id"`
	Data      map[string]interface{} `json:"data"`
	UID       string                 `json:"uniqueId"`
	EventType string                 `json:"event"`
}

type PayloadRoot struct {
	Data     []Wrapper              `json:"data"`
	Metadata map[string]interface{} `json:"meta"`
}

type input struct {
	Meta  map[string]interface{} `json:"meta"`
	Items []struct {
		AssetID  string                 `json:"assetId"`
		UniqueID string                 `json:"uniqueId"`
		Event    string                 `json:"event"`
		Object   map[string]interface{} `json:"object"`
	} `json:"items"`
}

func main() {
	files, err := filepath.Glob("*.input.json")
	if err != nil {
		panic(err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			panic(err)
		}
		var in input
		if err := json.Unmarshal(raw, &in); err != nil {
			panic(err)
		}
		root := PayloadRoot{Data: []Wrapper{}, Metadata: in.Meta}
		for _, item := range in.Items {
			root.Data = append(root.Data, Wrapper{item.AssetID, item.Object, item.UniqueID, item.Event})
		}
		body, err := json.Marshal(root)
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(strings.TrimSuffix(file, ".input.json")+".body", body, 0o644); err != nil {
			panic(err)
		}
	}
}
