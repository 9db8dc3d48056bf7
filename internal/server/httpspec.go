package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/opsgraph/opsgraph/internal/trusted"
)

// The HTTP side of /graphql follows the GraphQL-over-HTTP draft
// (https://graphql.github.io/graphql-over-http/draft/): httpSpec answers
// what is not a GraphQL request at all (method, media types, size) before
// authentication, and the GET and POST transports below decode requests and
// choose status codes. docs/operations.md (HTTP) lists what a client sees.

// DefaultMaxBodyBytes caps a request body when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Response media types.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaEventStream     = "text/event-stream"
)

// Error codes of requests refused at the HTTP level.
const (
	codeBadRequest       = "BAD_REQUEST"
	codeBatching         = "BATCHING_NOT_SUPPORTED"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeNotAcceptable    = "NOT_ACCEPTABLE"
	codeUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE"
	codeTooLarge         = "REQUEST_TOO_LARGE"
)

// httpError is a request refused before GraphQL sees it.
type httpError struct {
	status int
	code   string
	msg    string
}

// writeHTTPError answers with a GraphQL-shaped error body in mediaType.
func writeHTTPError(w http.ResponseWriter, mediaType string, e *httpError) {
	h := w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if e.status == http.StatusMethodNotAllowed && h.Get("Allow") == "" {
		h.Set("Allow", "GET, POST")
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": e.msg, "extensions": map[string]any{"code": e.code},
	}}})
}

// httpSpec checks what makes a request to /graphql a GraphQL-over-HTTP
// request at all: the method (405), the Accept header (406), the
// Content-Type of a POST (415) and the size of its body (413; the limit is
// enforced while the transport reads it). Websocket upgrades pass through.
func httpSpec(maxBody int64, next http.Handler) http.Handler {
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if isWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost:
		case http.MethodOptions: // not a CORS preflight (cors answers those)
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			writeHTTPError(w, mediaJSON, &httpError{http.StatusMethodNotAllowed, codeMethodNotAllowed,
				fmt.Sprintf("%s is not allowed on /graphql: send queries with GET or POST, mutations with POST", r.Method)})
			return
		}
		if _, ok := negotiate(r); !ok {
			writeHTTPError(w, mediaJSON, &httpError{http.StatusNotAcceptable, codeNotAcceptable,
				"the Accept header allows no media type /graphql responds with: accept application/graphql-response+json or application/json"})
			return
		}
		if r.Method == http.MethodPost {
			if e := checkContentType(r.Header.Get("Content-Type")); e != nil {
				writeHTTPError(w, responseType(r), e)
				return
			}
			if r.ContentLength > maxBody {
				writeHTTPError(w, responseType(r), tooLarge(maxBody))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(limit int64) *httpError {
	return &httpError{http.StatusRequestEntityTooLarge, codeTooLarge,
		fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)}
}

// checkContentType accepts application/json, in UTF-8 when a charset is
// given.
func checkContentType(ct string) *httpError {
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != mediaJSON {
		return &httpError{http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			fmt.Sprintf("POST /graphql takes a JSON body: send Content-Type: application/json (got %q)", ct)}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &httpError{http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			fmt.Sprintf("request bodies must be UTF-8 (got charset %q)", cs)}
	}
	return nil
}

func isWebsocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func wantsEventStream(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), mediaEventStream)
}

// negotiate picks the response media type from the Accept header: the
// acceptable one of application/graphql-response+json and application/json
// with the higher q-value, application/graphql-response+json on a tie. No
// header, */* and application/* mean application/json (the spec's legacy
// behaviour, which curl and older clients rely on). A media type with a
// charset other than UTF-8 is not acceptable. ok is false when neither is
// (406), except for a POST that asks for an event stream (SSE).
func negotiate(r *http.Request) (mediaType string, ok bool) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	var qGQL, qJSON, qWild float64 = -1, -1, -1
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				q = f
			}
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			qGQL = max(qGQL, q)
		case mediaJSON:
			qJSON = max(qJSON, q)
		case "*/*", "application/*":
			qWild = max(qWild, q)
		}
	}
	if qJSON < 0 {
		qJSON = qWild
	}
	switch {
	case qGQL > 0 && qGQL >= qJSON:
		return mediaGraphQLResponse, true
	case qJSON > 0:
		return mediaJSON, true
	case wantsEventStream(r):
		return mediaJSON, true
	}
	return mediaJSON, false
}

// responseType is the negotiated media type, application/json when nothing
// is acceptable (for the body of a 406 and of in-process requests).
func responseType(r *http.Request) string {
	mt, _ := negotiate(r)
	return mt
}

// request is one decoded GraphQL-over-HTTP request.
type request struct {
	params     graphql.RawParams
	documentID string
}

// readPOST reads and decodes a POST body. body is what was read, for a
// transport that decodes it again.
func readPOST(r *http.Request) (req *request, body []byte, e *httpError) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, nil, tooLarge(mbe.Limit)
		}
		return nil, nil, &httpError{http.StatusBadRequest, codeBadRequest, "the request body could not be read"}
	}
	req, e = decodeBody(body)
	return req, body, e
}

// decodeBody decodes a JSON request body in one pass over it: the top-level
// keys are read as tokens and each known member is decoded straight into its
// destination (variables and extensions with numbers as json.Number, as
// gqlgen expects). Keys match exactly, unknown members are skipped, and a
// null member is as good as an absent one. Its error messages never repeat
// the body.
func decodeBody(body []byte) (*request, *httpError) {
	bad := func(format string, args ...any) *httpError {
		return &httpError{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
	}
	notJSON := func(err error) *httpError {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return bad("the request body is not valid JSON: %v (at byte %d)", se, se.Offset)
		}
		return bad("the request body is not valid JSON: it ends before its object does")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, bad("the request body is empty: send a JSON object with a query")
	case trimmed[0] == '[':
		return nil, &httpError{http.StatusBadRequest, codeBatching,
			"batched requests (a JSON array of operations) are not supported: send one operation per request"}
	}
	dec := json.NewDecoder(bytes.NewReader(body)) // offsets in errors count from the body
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil {
		return nil, notJSON(err)
	} else if tok != json.Delim('{') {
		return nil, bad("the request body must be a JSON object with query, variables, operationName and extensions")
	}
	req := &request{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notJSON(err)
		}
		name, _ := tok.(string) // a key: the decoder allows nothing else here
		var dst any
		switch name {
		case "query":
			dst = &req.params.Query
		case "operationName":
			dst = &req.params.OperationName
		case "documentId":
			dst = &req.documentID
		case "variables": // a repeated key replaces, as in a map, not merges
			req.params.Variables, dst = nil, &req.params.Variables
		case "extensions":
			req.params.Extensions, dst = nil, &req.params.Extensions
		default:
			dst = new(json.RawMessage) // skipped, but still checked
		}
		if err := dec.Decode(dst); err != nil {
			te, isType := errors.AsType[*json.UnmarshalTypeError](err)
			if !isType {
				return nil, notJSON(err)
			}
			if _, isString := dst.(*string); isString {
				return nil, bad("%s must be a string", name)
			}
			return nil, bad("%s must be a JSON object, not %s", name, jsonKindName(te.Value))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, notJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("the request body must be one JSON object, with nothing after it")
	}
	if e := req.check(); e != nil {
		return nil, e
	}
	return req, nil
}

// readGET decodes the query string of a GET request.
func readGET(r *http.Request) (*request, *httpError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, codeBadRequest, "the query string is malformed: " + err.Error()}
	}
	req := &request{documentID: q.Get("documentId")}
	req.params.Query = q.Get("query")
	req.params.OperationName = q.Get("operationName")
	for _, f := range req.objects() {
		if s := q.Get(f.name); s != "" {
			if e := decodeObject(f.name, []byte(s), f.dst); e != nil {
				return nil, e
			}
		}
	}
	if e := req.check(); e != nil {
		return nil, e
	}
	return req, nil
}

type objectField struct {
	name string
	dst  *map[string]any
}

// objects are the request's JSON object parameters, in the order they are
// checked.
func (req *request) objects() []objectField {
	return []objectField{{"variables", &req.params.Variables}, {"extensions", &req.params.Extensions}}
}

// check requires a document: query text, a documentId or a persisted
// query hash.
func (req *request) check() *httpError {
	if req.params.Query != "" || req.documentID != "" {
		return nil
	}
	if pq, _ := req.params.Extensions["persistedQuery"].(map[string]any); pq != nil {
		return nil
	}
	return &httpError{http.StatusBadRequest, codeBadRequest,
		"the request has no query: send the document in query (or a trusted document's id in documentId)"}
}

// decodeObject decodes a JSON object of the query string (numbers as
// json.Number, as gqlgen expects).
func decodeObject(name string, raw []byte, dst *map[string]any) *httpError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("more after the object")
	}
	if err != nil {
		msg := fmt.Sprintf("%s must be a JSON object", name)
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			msg += fmt.Sprintf(": %v (at byte %d)", se, se.Offset)
		} else if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			msg += ", not " + jsonKindName(te.Value)
		}
		return &httpError{http.StatusBadRequest, codeBadRequest, msg}
	}
	return nil
}

// jsonKindName names the kind of JSON value an *json.UnmarshalTypeError
// reports ("array", "string", "number 5", "bool").
func jsonKindName(value string) string {
	switch kind, _, _ := strings.Cut(value, " "); kind {
	case "array":
		return "an array"
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	}
	return "another JSON value"
}

// postTransport serves POST application/json requests.
type postTransport struct{}

func (postTransport) Supports(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == mediaJSON && !wantsEventStream(r)
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	req, _, e := readPOST(r)
	if e != nil {
		writeHTTPError(w, responseType(r), e)
		return
	}
	run(w, r, exec, req, start)
}

// getTransport serves GET requests: queries only.
type getTransport struct{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && !isWebsocket(r)
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	req, e := readGET(r)
	if e != nil {
		writeHTTPError(w, responseType(r), e)
		return
	}
	run(w, r, exec, req, start)
}

// run executes one decoded request. A request error (the document does not
// parse or validate, a persisted document is missing or refused, a limit)
// is answered 400 under application/graphql-response+json and 200 under
// application/json, as the spec asks for each; a mutation over GET is 405.
func run(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, req *request, start time.Time) {
	ctx := r.Context()
	if req.documentID != "" {
		ctx = trusted.WithDocumentID(ctx, req.documentID)
	}
	mt := responseType(r)
	req.params.Headers = r.Header
	req.params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, &req.params)
	// Before any other error: a mutation over GET is the wrong method,
	// whatever else is wrong with it.
	if r.Method == http.MethodGet {
		if op := operationType(rc, &req.params); op != "" && op != ast.Query {
			writeHTTPError(w, mt, &httpError{http.StatusMethodNotAllowed, codeMethodNotAllowed,
				fmt.Sprintf("GET serves queries only: send this %s with POST", op)})
			return
		}
	}
	if errs != nil {
		status := http.StatusOK
		if mt == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		res := exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		// A request error has no data entry, not even null.
		writeJSON(w, mt, status, struct {
			Errors     any            `json:"errors"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{res.Errors, res.Extensions})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	b, err := encodeResponse(responses(ctx))
	if err != nil {
		panic(fmt.Errorf("encoding a GraphQL response: %w", err))
	}
	writeBody(w, mt, http.StatusOK, b)
}

// encodeResponse is json.Marshal(res) (the same members in the same
// order), except that data, which gqlgen's marshalers wrote as compact
// JSON, is copied as it is: json.Marshal would validate and re-compact it,
// two more passes over what is most of the response (1.6 ms of a 113 KB
// answer on the benchmark machine, 0.12 ms copied).
func encodeResponse(res *graphql.Response) ([]byte, error) {
	if res == nil {
		return []byte("null"), nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(res.Data)+256))
	member := func(name string, v any) error {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"` + name + `":`)
		if raw, ok := v.(json.RawMessage); ok {
			if len(raw) == 0 {
				raw = json.RawMessage("null")
			}
			buf.Write(raw)
			return nil
		}
		b, err := json.Marshal(v)
		buf.Write(b)
		return err
	}
	buf.WriteByte('{')
	var err error
	if len(res.Errors) > 0 {
		err = errors.Join(err, member("errors", res.Errors))
	}
	err = errors.Join(err, member("data", res.Data))
	if res.Label != "" {
		err = errors.Join(err, member("label", res.Label))
	}
	if len(res.Path) > 0 {
		err = errors.Join(err, member("path", res.Path))
	}
	if res.HasNext != nil {
		err = errors.Join(err, member("hasNext", res.HasNext))
	}
	if len(res.Extensions) > 0 {
		err = errors.Join(err, member("extensions", res.Extensions))
	}
	buf.WriteByte('}')
	return buf.Bytes(), err
}

// operationType is the type of the operation a request names, "" when
// that is unknown (the document does not parse). When validation failed,
// gqlgen has not picked the operation; the document is parsed again.
func operationType(rc *graphql.OperationContext, p *graphql.RawParams) ast.Operation {
	if rc != nil && rc.Operation != nil {
		return rc.Operation.Operation
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return ""
	}
	if op := doc.Operations.ForName(p.OperationName); op != nil {
		return op.Operation
	}
	return ""
}

func writeJSON(w http.ResponseWriter, mediaType string, status int, res any) {
	b, err := json.Marshal(res)
	if err != nil {
		panic(fmt.Errorf("encoding a GraphQL response: %w", err))
	}
	writeBody(w, mediaType, status, b)
}

// writeBody writes a whole answer with its length: net/http would send an
// answer over its 2 KB buffer chunked, in more writes.
func writeBody(w http.ResponseWriter, mediaType string, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// sseTransport is gqlgen's SSE transport (POST, Accept: text/event-stream)
// behind the same body decoding as POST: malformed bodies get the same
// errors, and documentId works.
type sseTransport struct{ transport.SSE }

func (t sseTransport) Supports(r *http.Request) bool {
	return wantsEventStream(r) && t.SSE.Supports(r)
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	req, body, e := readPOST(r)
	if e != nil {
		writeHTTPError(w, mediaJSON, e)
		return
	}
	if req.documentID != "" {
		r = r.WithContext(trusted.WithDocumentID(r.Context(), req.documentID))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.SSE.Do(w, r, exec)
}
