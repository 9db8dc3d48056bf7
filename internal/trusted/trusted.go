// Package trusted holds the manifest of trusted documents and enforces it.
//
// The manifest (manifest.json, embedded) lists every GraphQL document the
// project itself sends: the Go SDK's operations (sdk/operations.json, written
// by genqlient) and the explorer's saved operations
// (internal/explorer/operations), each under the id "sha256:<hex>" of its
// exact text. `go generate ./...` rewrites it (internal/trusted/cmd/trustedgen)
// after the SDK steps.
//
// Any client may run a manifest document by id: `documentId` in a POST body or
// a GET query string (the GraphQL-over-HTTP persisted documents proposal), or
// extensions.persistedQuery.sha256Hash (the APQ form, every transport) without
// the text. A viewer holding any of the enforced roles (Enforcer.Roles) may
// run nothing else: free text is refused unless it is, byte for byte, a
// manifest document.
package trusted

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Sources of manifest documents.
const (
	SourceSDK      = "sdk"
	SourceExplorer = "explorer"
)

// Error codes of refused requests (extensions.code).
const (
	// CodeRequired: the viewer must send a trusted document, by id.
	CodeRequired = "PERSISTED_DOCUMENT_REQUIRED"
	// CodeNotFound: the id names no document of the manifest.
	CodeNotFound = "PERSISTED_DOCUMENT_NOT_FOUND"
	// CodeBadRequest: documentId and query text together.
	CodeBadRequest = "BAD_REQUEST"
)

// IDPrefix starts every document id.
const IDPrefix = "sha256:"

// Document is one trusted document.
type Document struct {
	ID            string `json:"id"`
	OperationName string `json:"operationName"`
	Source        string `json:"source"`
	Query         string `json:"query"`
}

// Manifest is the set of trusted documents.
type Manifest struct {
	Documents []Document `json:"documents"`

	byID map[string]*Document
}

// ID returns the document id of query: "sha256:" and the lower-case hex
// SHA-256 of its exact bytes.
func ID(query string) string {
	sum := sha256.Sum256([]byte(query))
	return IDPrefix + hex.EncodeToString(sum[:])
}

// Build returns the manifest of docs, ids computed, sorted by source,
// operation name and id; a text that occurs twice is kept once (its first
// place in that order).
func Build(docs []Document) *Manifest {
	out := make([]Document, 0, len(docs))
	for _, d := range docs {
		d.ID = ID(d.Query)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Document) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.OperationName, b.OperationName), cmp.Compare(a.ID, b.ID))
	})
	seen := map[string]bool{}
	out = slices.DeleteFunc(out, func(d Document) bool {
		dup := seen[d.ID]
		seen[d.ID] = true
		return dup
	})
	return index(&Manifest{Documents: out})
}

func index(m *Manifest) *Manifest {
	m.byID = make(map[string]*Document, len(m.Documents))
	for i := range m.Documents {
		m.byID[m.Documents[i].ID] = &m.Documents[i]
	}
	return m
}

// JSON is the manifest file's content: indented, HTML characters unescaped,
// a final newline.
func (m *Manifest) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Lookup returns the document with id ("sha256:<hex>", hex in either case).
func (m *Manifest) Lookup(id string) (Document, bool) {
	hexPart, ok := strings.CutPrefix(id, IDPrefix)
	if !ok {
		return Document{}, false
	}
	d, ok := m.byID[IDPrefix+strings.ToLower(hexPart)]
	if !ok {
		return Document{}, false
	}
	return *d, true
}

// Parse reads a manifest file.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("trusted documents manifest: %w", err)
	}
	for _, d := range m.Documents {
		if d.ID != ID(d.Query) {
			return nil, fmt.Errorf("trusted documents manifest: %s (%s) does not match its text", d.ID, d.OperationName)
		}
	}
	return index(&m), nil
}

// SDKDocuments reads the manifest genqlient writes (sdk/operations.json).
func SDKDocuments(operationsJSON []byte) ([]Document, error) {
	var f struct {
		Operations []struct {
			OperationName string `json:"operationName"`
			Query         string `json:"query"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(operationsJSON, &f); err != nil {
		return nil, fmt.Errorf("SDK operations: %w", err)
	}
	docs := make([]Document, 0, len(f.Operations))
	for _, op := range f.Operations {
		docs = append(docs, Document{OperationName: op.OperationName, Source: SourceSDK, Query: op.Query})
	}
	return docs, nil
}

//go:embed manifest.json
var manifestJSON []byte

// Embedded returns the manifest built into the binary. It panics when the
// file is malformed (the package's tests read it).
var Embedded = sync.OnceValue(func() *Manifest {
	m, err := Parse(manifestJSON)
	if err != nil {
		panic(err)
	}
	return m
})

type documentIDKey struct{}

// WithDocumentID returns ctx carrying the documentId of the request, for
// the Enforcer (gqlgen's RawParams has no such field; the HTTP transports
// read it and put it here).
func WithDocumentID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, documentIDKey{}, id)
}

func documentID(ctx context.Context) string {
	id, _ := ctx.Value(documentIDKey{}).(string)
	return id
}

type internalKey struct{}

// Internal marks ctx as a request whose document the server wrote itself
// (the CSV exports build their queries from the export's definition; the
// caller supplies argument values only): the Enforcer lets it through.
func Internal(ctx context.Context) context.Context {
	return context.WithValue(ctx, internalKey{}, true)
}

func internal(ctx context.Context) bool {
	b, _ := ctx.Value(internalKey{}).(bool)
	return b
}

// Enforcer is the gqlgen extension that resolves trusted documents and
// enforces them. Register it before extension.AutomaticPersistedQuery: it
// replaces a manifest id by its text first, so the APQ cache (which anyone
// can fill) is never asked for an enforced viewer's document.
type Enforcer struct {
	Manifest *Manifest
	// Roles are the enforced roles: a viewer holding any of them runs
	// manifest documents only. Empty: nobody is restricted.
	Roles []string
}

var (
	_ graphql.HandlerExtension          = Enforcer{}
	_ graphql.OperationParameterMutator = Enforcer{}
)

func (Enforcer) ExtensionName() string { return "TrustedDocuments" }

func (e Enforcer) Validate(graphql.ExecutableSchema) error {
	if e.Manifest == nil {
		return fmt.Errorf("trusted.Enforcer: no manifest")
	}
	return nil
}

// MutateOperationParameters resolves documentId (and, when the hash names
// a manifest document, a text-less persistedQuery) to the document's text,
// and refuses anything else from a viewer holding an enforced role.
func (e Enforcer) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if id := documentID(ctx); id != "" {
		if p.Query != "" {
			return refuse(CodeBadRequest, "send either documentId or query, not both")
		}
		d, ok := e.Manifest.Lookup(id)
		if !ok {
			return notFound(id)
		}
		p.Query = d.Query
		return nil
	}
	hash := persistedHash(p.Extensions)
	if hash != "" && p.Query == "" {
		if d, ok := e.Manifest.Lookup(IDPrefix + hash); ok {
			// APQ then checks the hash against the text and caches it.
			p.Query = d.Query
			return nil
		}
	}
	roles := e.enforced(ctx)
	if roles == nil {
		return nil
	}
	switch {
	case hash != "" && p.Query == "":
		return notFound(IDPrefix + hash)
	case p.Query == "":
		return refuse(CodeRequired, fmt.Sprintf("a token with the role %s may only run trusted documents: send documentId", strings.Join(roles, " or ")))
	}
	if _, ok := e.Manifest.Lookup(ID(p.Query)); ok {
		return nil
	}
	return refuse(CodeRequired, fmt.Sprintf(
		"a token with the role %s may only run trusted documents (the SDK's operations and the explorer's saved operations): send documentId \"sha256:<hex>\" from the manifest instead of query text",
		strings.Join(roles, " or ")))
}

// enforced returns the viewer's enforced roles, nil when it has none.
func (e Enforcer) enforced(ctx context.Context) []string {
	if len(e.Roles) == 0 || internal(ctx) {
		return nil
	}
	v := viewer.FromContext(ctx)
	var held []string
	for _, r := range e.Roles {
		if v.HasRole(r) {
			held = append(held, r)
		}
	}
	return held
}

// persistedHash is extensions.persistedQuery.sha256Hash, lower-cased.
func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return strings.ToLower(h)
}

func notFound(id string) *gqlerror.Error {
	return refuse(CodeNotFound, fmt.Sprintf("no trusted document has the id %q; the manifest holds the SDK's operations and the explorer's saved operations", id))
}

func refuse(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}
