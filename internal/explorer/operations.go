package explorer

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed operations/*.graphql
var operationFiles embed.FS

// Operation is one saved, documented operation of the library the explorer
// opens as tabs. Each is a file operations/NN-<id>.graphql that starts with
// a comment block:
//
//	# Title
//	#
//	# Description, any number of lines (Markdown).
//	#
//	# @group Reports
//	# @export renewal-calendar renewal-calendar-months
//	# @variables {"withinDays": 120}
//	query RenewalCalendar(...) { ... }
//
// The number orders the library; @export names the CSV exports
// (GET /export/<name>.csv) of the operation's root field, the first being
// the default; @variables is the JSON the variables editor starts with.
type Operation struct {
	// ID is the file name without its number and extension.
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Group       string `json:"group"`
	// Query is the document the tab opens with: the title and description
	// as comments, then the operation (without the @ lines).
	Query string `json:"query"`
	// Variables is the variables editor's JSON, indented.
	Variables     string   `json:"variables"`
	OperationName string   `json:"operationName"`
	Exports       []string `json:"exports"`
	// File is the file name under operations/.
	File string `json:"-"`
	// Body is the operation without the comment block.
	Body string `json:"-"`
}

var (
	fileName = regexp.MustCompile(`^(\d+)-([a-z0-9-]+)\.graphql$`)
	opName   = regexp.MustCompile(`(?m)^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)`)
)

// Operations returns the saved operations, in library order.
var Operations = sync.OnceValues(func() ([]Operation, error) {
	entries, err := fs.ReadDir(operationFiles, "operations")
	if err != nil {
		return nil, err
	}
	var ops []Operation
	for _, e := range entries {
		data, err := operationFiles.ReadFile(path.Join("operations", e.Name()))
		if err != nil {
			return nil, err
		}
		op, err := parseOperation(e.Name(), string(data))
		if err != nil {
			return nil, fmt.Errorf("explorer: operations/%s: %w", e.Name(), err)
		}
		if slices.ContainsFunc(ops, func(o Operation) bool { return o.ID == op.ID }) {
			return nil, fmt.Errorf("explorer: operations/%s: duplicate id %q", e.Name(), op.ID)
		}
		ops = append(ops, op)
	}
	return ops, nil
})

func parseOperation(name, text string) (Operation, error) {
	m := fileName.FindStringSubmatch(name)
	if m == nil {
		return Operation{}, fmt.Errorf("file name must be NN-<id>.graphql")
	}
	op := Operation{ID: m[2], File: name}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var header, desc []string
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		line := strings.TrimPrefix(strings.TrimPrefix(lines[i], "#"), " ")
		if tag, ok := strings.CutPrefix(line, "@"); ok {
			key, val, _ := strings.Cut(tag, " ")
			val = strings.TrimSpace(val)
			switch key {
			case "group":
				op.Group = val
			case "export":
				op.Exports = strings.Fields(val)
			case "variables":
				var v map[string]any
				if err := json.Unmarshal([]byte(val), &v); err != nil {
					return Operation{}, fmt.Errorf("@variables: %w", err)
				}
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				_ = enc.Encode(v)
				op.Variables = strings.TrimSpace(b.String())
			default:
				return Operation{}, fmt.Errorf("unknown tag @%s", key)
			}
			continue
		}
		header = append(header, lines[i])
		if op.Title == "" {
			op.Title = strings.TrimSpace(line)
		} else {
			desc = append(desc, line)
		}
	}
	for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "#" {
		header = header[:len(header)-1]
	}
	op.Description = strings.TrimSpace(joinParagraphs(desc))
	op.Body = strings.TrimSpace(strings.Join(lines[i:], "\n")) + "\n"
	op.Query = strings.Join(header, "\n") + "\n" + op.Body
	if mm := opName.FindStringSubmatch(op.Body); mm != nil {
		op.OperationName = mm[1]
	}
	switch {
	case op.Title == "":
		return Operation{}, fmt.Errorf("no title (the first comment line)")
	case op.Description == "":
		return Operation{}, fmt.Errorf("no description (comment lines after the title)")
	case op.Group == "":
		return Operation{}, fmt.Errorf("no @group")
	case op.OperationName == "":
		return Operation{}, fmt.Errorf("no named operation")
	}
	if op.Variables == "" {
		op.Variables = "{}"
	}
	return op, nil
}

// joinParagraphs joins comment lines into paragraphs: lines of one
// paragraph with spaces, paragraphs (separated by empty lines) with "\n\n".
func joinParagraphs(lines []string) string {
	var b strings.Builder
	para := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
			if para {
				b.WriteString("\n\n")
			}
			para = false
		case para:
			b.WriteString(" " + l)
		default:
			b.WriteString(l)
			para = true
		}
	}
	return b.String()
}
