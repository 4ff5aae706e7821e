package awsquery

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sync"
)

// List is an AWS list: `<Name><member>…</member>…</Name>`. Without
// omitempty an empty list is still written (`<Users></Users>`), as required
// lists must be (spec §1.3); with omitempty it is left out.
type List[T any] []T

// MarshalXML writes each item as a member element.
func (l List[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	member := xml.StartElement{Name: xml.Name{Local: "member"}}
	for i := range l {
		if err := e.EncodeElement(l[i], member); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// MapEntry is one key/value of a Map.
type MapEntry[V any] struct {
	Key   string `xml:"key"`
	Value V      `xml:"value"`
}

// Map is an AWS map: `<Name><entry><key>k</key><value>v</value></entry>…`,
// written in slice order.
type Map[V any] []MapEntry[V]

// MarshalXML writes each pair as an entry element.
func (m Map[V]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	entry := xml.StartElement{Name: xml.Name{Local: "entry"}}
	for i := range m {
		if err := e.EncodeElement(m[i], entry); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// PolicyDocument is a policy text written percent-encoded per RFC 3986
// (spec §1.3): botocore unquotes it, Go callers use url.QueryUnescape, so
// `+` must never appear bare and spaces are %20.
type PolicyDocument string

// MarshalText percent-encodes the document.
func (d PolicyDocument) MarshalText() ([]byte, error) { return []byte(EncodeRFC3986(string(d))), nil }

// EncodeRFC3986 keeps A-Za-z0-9-_.~ and writes every other byte as %XX.
func EncodeRFC3986(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s)*3/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hex[c>>4], hex[c&15])
	}
	return string(out)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// xmlWriter is an encoder with its buffer, pooled together: NewEncoder
// allocates a 4 KiB bufio.Writer, a quarter of a small answer's cost. An
// encoder is reusable once it has flushed a complete document.
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var writerPool = sync.Pool{New: func() any {
	w := new(xmlWriter)
	w.enc = xml.NewEncoder(&w.buf)
	return w
}}

// writeResult answers 200 with <{Action}Response xmlns=NS>, the result (if
// any) as <{Action}Result> and ResponseMetadata.
func writeResult(w http.ResponseWriter, ns, action, requestID string, result any) error {
	if fast, ok := result.(xmlAppender); ok || result == nil {
		bp := bytesPool.Get().(*[]byte)
		b, err := appendResult((*bp)[:0], ns, action, requestID, fast)
		if err == nil {
			setHeaders(w, requestID)
			w.WriteHeader(http.StatusOK)
			_, err = w.Write(b)
			if cap(b) <= maxPooledBuffer { // a long list's buffer is left to the GC
				*bp = b
				bytesPool.Put(bp)
			}
			return err
		}
		bytesPool.Put(bp) // then encoding/xml, which reports the error
	}
	xw := writerPool.Get().(*xmlWriter)
	xw.buf.Reset()
	xw.buf.WriteString(xml.Header)
	if err := encodeResult(xw.enc, ns, action, requestID, result); err != nil {
		return err // the encoder may hold a partial element: not reused
	}
	setHeaders(w, requestID)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(xw.buf.Bytes())
	writerPool.Put(xw)
	return err
}

const maxPooledBuffer = 64 << 10

var bytesPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendResult is encodeResult by hand, for results that write themselves
// (xmlappend.go) or have no output; the bytes are the same.
func appendResult(b []byte, ns, action, requestID string, result xmlAppender) ([]byte, error) {
	b = append(b, xml.Header...)
	b = append(b, '<')
	b = append(b, action...)
	b = append(b, `Response xmlns="`...)
	b = appendEscaped(b, ns)
	b = append(b, `">`...)
	if result != nil {
		b = append(b, '<')
		b = append(b, action...)
		b = append(b, "Result>"...)
		var err error
		if b, err = result.appendXML(b); err != nil {
			return b, err
		}
		b = append(b, "</"...)
		b = append(b, action...)
		b = append(b, "Result>"...)
	}
	b = appendElem(append(b, "<ResponseMetadata>"...), "RequestId", requestID)
	b = append(b, "</ResponseMetadata></"...)
	b = append(b, action...)
	return append(b, "Response>"...), nil
}

func encodeResult(enc *xml.Encoder, ns, action, requestID string, result any) error {
	resp := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}}
	if err := enc.EncodeToken(resp); err != nil {
		return err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
	}
	if err := enc.EncodeElement(responseMetadata{RequestID: requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(resp.End()); err != nil {
		return err
	}
	return enc.Flush()
}

type errorDoc struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError answers err as an <ErrorResponse> with the status its code
// carries (errors.go).
func writeError(w http.ResponseWriter, ns, requestID string, err error) error {
	status, code, msg := awsError(err)
	doc := errorDoc{Xmlns: ns, RequestID: requestID, Error: errorBody{Type: "Sender", Code: code, Message: msg}}
	if status >= 500 {
		doc.Error.Type = "Receiver"
	}
	body, merr := xml.Marshal(doc)
	if merr != nil {
		return merr
	}
	setHeaders(w, requestID)
	w.WriteHeader(status)
	_, werr := w.Write(append([]byte(xml.Header), body...))
	return werr
}

func setHeaders(w http.ResponseWriter, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	// x-amzn-RequestId under its canonical key, as Set would store it:
	// Set would canonicalize the name into a new string on every answer.
	h[requestIDHeader] = []string{requestID}
}

var requestIDHeader = http.CanonicalHeaderKey("x-amzn-RequestId")
