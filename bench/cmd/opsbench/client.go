package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
)

// A poster sends one GraphQL request body and reads the whole answer. msg
// is not empty when the answer is an error (non-200 status or a GraphQL
// errors entry): the start of the body. b is the answer's body as far as
// it was read, valid until the next post. One poster serves one worker; it
// is not safe for concurrent use.
type poster interface {
	post(ctx context.Context, body []byte) (msg string, b []byte, err error)
	close()
}

// Clients is how RunLoad sends requests: a new poster per worker.
type Clients struct {
	URL   string
	Token string // "" sends no Authorization header
	// Std, when set, sends through this net/http client (the -http-client
	// std choice); otherwise each worker keeps one HTTP/1.1 connection of
	// its own (leanPoster).
	Std *http.Client
}

func (c Clients) newPoster() (poster, error) {
	if c.Std != nil {
		return &stdPoster{client: c.Std, url: c.URL, token: c.Token, buf: new(bytes.Buffer)}, nil
	}
	return newLeanPoster(c.URL, c.Token)
}

var errorsKey = []byte(`"errors":[`)

// answer classifies a read answer as post reports it.
func answer(status int, b []byte) string {
	if status != http.StatusOK || bytes.Contains(b, errorsKey) {
		return fmt.Sprintf("HTTP %d: %s", status, shorten(string(b), 300))
	}
	return ""
}

// stdPoster sends through net/http's client and transport.
type stdPoster struct {
	client     *http.Client
	url, token string
	buf        *bytes.Buffer
}

func (p *stdPoster) post(ctx context.Context, body []byte) (string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	p.buf.Reset()
	if _, err := io.Copy(p.buf, resp.Body); err != nil {
		return "", p.buf.Bytes(), err
	}
	return answer(resp.StatusCode, p.buf.Bytes()), p.buf.Bytes(), nil
}

func (p *stdPoster) close() {}

// leanPoster keeps one keep-alive HTTP/1.1 connection and writes each
// request with one write, reading the answer (Content-Length or chunked)
// with a buffered reader: what wrk or h2load do, so that the load
// generator, which shares the machine's two cores with the server and
// PostgreSQL, spends as little of them as it can (as pgbench does on the
// raw-SQL side). net/http's client hands every request between three
// goroutines and allocates its headers; this does neither. A connection
// the server closes is dialled again on the next request.
type leanPoster struct {
	addr   string
	prefix []byte // request line and headers up to Content-Length's value
	conn   net.Conn
	br     *bufio.Reader
	out    []byte
	body   bytes.Buffer
}

func newLeanPoster(rawURL, token string) (*leanPoster, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("the lean client speaks plain http, not %q (use -http-client std)", u.Scheme)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	path := u.RequestURI()
	var h bytes.Buffer
	fmt.Fprintf(&h, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json\r\n", path, u.Host)
	if token != "" {
		fmt.Fprintf(&h, "Authorization: Bearer %s\r\n", token)
	}
	h.WriteString("Content-Length: ")
	return &leanPoster{addr: addr, prefix: h.Bytes()}, nil
}

func (p *leanPoster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

func (p *leanPoster) post(ctx context.Context, body []byte) (string, []byte, error) {
	if p.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return "", nil, err
		}
		p.conn = c
		if p.br == nil {
			p.br = bufio.NewReaderSize(c, 64<<10)
		} else {
			p.br.Reset(c)
		}
	}
	p.out = append(p.out[:0], p.prefix...)
	p.out = strconv.AppendInt(p.out, int64(len(body)), 10)
	p.out = append(p.out, "\r\n\r\n"...)
	p.out = append(p.out, body...)
	if _, err := p.conn.Write(p.out); err != nil {
		p.close()
		return "", nil, err
	}
	status, keep, err := p.readResponse()
	if err != nil {
		p.close()
		return "", p.body.Bytes(), err
	}
	if !keep {
		p.close()
	}
	return answer(status, p.body.Bytes()), p.body.Bytes(), nil
}

// readResponse reads one response into p.body: its status, and whether
// the connection stays open.
func (p *leanPoster) readResponse() (status int, keep bool, err error) {
	line, err := p.line()
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("malformed status line %q", shorten(string(line), 60))
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", shorten(string(line), 60))
	}
	keep = line[7] == '1'
	length, chunked := -1, false
	for {
		h, err := p.line()
		if err != nil {
			return 0, false, err
		}
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("malformed header %q", shorten(string(h), 60))
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	p.body.Reset()
	switch {
	case chunked:
		if _, err := p.body.ReadFrom(httputil.NewChunkedReader(p.br)); err != nil {
			return 0, false, err
		}
		// The trailer section, ending at an empty line.
		for {
			t, err := p.line()
			if err != nil {
				return 0, false, err
			}
			if len(t) == 0 {
				break
			}
		}
	case length >= 0:
		p.body.Grow(length)
		if _, err := io.CopyN(&p.body, p.br, int64(length)); err != nil {
			return 0, false, err
		}
	default: // the body runs to the end of the connection
		if _, err := p.body.ReadFrom(p.br); err != nil {
			return 0, false, err
		}
		keep = false
	}
	return status, keep, nil
}

// line reads one CRLF-terminated line without its terminator; it is valid
// until the next read.
func (p *leanPoster) line() ([]byte, error) {
	l, err := p.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("response header line too long")
		}
		return nil, err
	}
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}
