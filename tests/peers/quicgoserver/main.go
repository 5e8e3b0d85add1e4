// quicgoserver exists to put a real quic-go stack on the wire for pqready's
// QUIC tests (tests/it/quic.rs): Debian's packaged quic-go (trixie-backports,
// built from /usr/share/gocode by scripts/install-peers) serving HTTP/3 with
// Go's own crypto/tls defaults. Nothing in it chooses groups: with a Go 1.24+
// toolchain and a go.mod "go" line of that toolchain the server prefers
// X25519MLKEM768; GODEBUG=tlsmlkem=0 (what operators flip) makes it classical.
//
// Usage: quicgoserver -cert FILE -key FILE [-listen 127.0.0.1:0]
//
// Once listening it prints "listening ADDR" on stdout (ADDR is the real UDP
// address, so port 0 works). Then, on stdout, one line per connection whose
// ClientHello crypto/tls answered with a ServerHello:
//
//	connection remote=ADDR group=X25519MLKEM768 codepoint=0x11ec version=0x0304 alpn=h3 initials=2
//
// group and codepoint are crypto/tls's own ConnectionState().CurveID for that
// connection, as quic-go hands it out: the server-side view a test compares
// with what the client reports; initials is how many Initial packets the
// client's ClientHello took (2 for pqready's quic-two-initials variant). Every HTTP/3 request gets that codepoint as
// its body ("0x11ec\n", like nginx's $ssl_curve) and a "request" log line.
//
// A prober never completes the handshake: it reads the ServerHello and closes.
// quic-go hands out such a connection (ListenEarly) once crypto/tls has read
// the client's transport parameters, which it does only after choosing the
// group; but its accept path also gives up on a connection that is already
// closed. So that every answered connection is logged whatever the goroutine
// scheduling, the connection's qlog recorder holds its first packet after
// that point (the one carrying the ServerHello) until the accept loop has
// logged the connection: the client cannot close what it has not yet seen.
//
// Needs Go 1.25+ (tls.ConnectionState.CurveID).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"
)

// out serialises the stdout lines the tests parse.
var out sync.Mutex

func say(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// record ties one connection's qlog recorder to the accept loop.
type record struct {
	// initials is the number of distinct Initial packets the client had
	// sent when the server answered: 2 for a ClientHello that spans two.
	initials int
	// held is closed when the connection's first packet after the client's
	// transport parameters waits for logged.
	held   chan struct{}
	logged chan struct{}
}

type recordKey struct{}

func recordOf(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}

// trace is a qlog "trace" that writes nothing: its recorder counts the
// client's Initial packets and, at the connection's first packet after the
// client's transport parameters, waits until the accept loop has logged the
// connection (bounded, so a connection the accept loop never sees cannot
// hang the server).
type trace struct{ rec *record }

func (t trace) AddProducer() qlogwriter.Recorder {
	return &recorder{rec: t.rec, initials: map[qlog.PacketNumber]bool{}}
}
func (t trace) SupportsSchemas(schema string) bool { return true }

type recorder struct {
	rec       *record
	mu        sync.Mutex
	initials  map[qlog.PacketNumber]bool
	paramsSet bool
	held      bool
}

func (r *recorder) RecordEvent(ev qlogwriter.Event) {
	if r.rec == nil {
		return
	}
	r.mu.Lock()
	hold := false
	switch e := ev.(type) {
	case qlog.PacketReceived:
		if e.Header.PacketType == qlog.PacketTypeInitial {
			r.initials[e.Header.PacketNumber] = true
		}
	case qlog.ParametersSet:
		if e.Initiator == qlog.InitiatorRemote {
			r.paramsSet = true
		}
	case qlog.PacketSent:
		hold = r.paramsSet && !r.held
		r.held = r.held || hold
	}
	if hold {
		r.rec.initials = len(r.initials)
	}
	r.mu.Unlock()
	if hold {
		close(r.rec.held)
		select {
		case <-r.rec.logged:
		case <-time.After(10 * time.Second):
		}
	}
}

func (r *recorder) Close() error { return nil }

// logConnection writes the connection's line once its recorder is holding
// the answer (so the Initial count is final), then lets the answer go.
func logConnection(conn *quic.Conn) {
	rec := recordOf(conn.Context())
	initials := "?"
	if rec != nil {
		select {
		case <-rec.held:
			initials = fmt.Sprint(rec.initials)
		case <-time.After(10 * time.Second):
		}
	}
	st := conn.ConnectionState().TLS
	say("connection remote=%s group=%s codepoint=0x%04x version=0x%04x alpn=%s initials=%s",
		conn.RemoteAddr(), st.CurveID, uint16(st.CurveID), st.Version, st.NegotiatedProtocol, initials)
	if rec != nil {
		close(rec.logged)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "UDP address to serve HTTP/3 on")
	certFile := flag.String("cert", "", "PEM certificate file (required)")
	keyFile := flag.String("key", "", "PEM private key file (required)")
	flag.Parse()
	logger := log.New(os.Stderr, "quicgoserver: ", log.LstdFlags|log.Lmicroseconds)
	if *certFile == "" || *keyFile == "" {
		fmt.Fprintln(os.Stderr, "quicgoserver: -cert and -key are required")
		flag.Usage()
		os.Exit(2)
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		logger.Fatalf("certificate: %v", err)
	}
	addr, err := net.ResolveUDPAddr("udp", *listen)
	if err != nil {
		logger.Fatalf("listen address: %v", err)
	}
	udp, err := net.ListenUDP("udp", addr)
	if err != nil {
		logger.Fatalf("listen: %v", err)
	}

	transport := &quic.Transport{
		Conn: udp,
		ConnContext: func(ctx context.Context, _ *quic.ClientInfo) (context.Context, error) {
			rec := &record{held: make(chan struct{}), logged: make(chan struct{})}
			return context.WithValue(ctx, recordKey{}, rec), nil
		},
	}
	// Only the certificate (and, through http3.ConfigureTLSConfig, the h3
	// ALPN) is set: groups and their order are crypto/tls's defaults.
	tlsConf := http3.ConfigureTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}})
	quicConf := &quic.Config{
		Tracer: func(ctx context.Context, isClient bool, _ quic.ConnectionID) qlogwriter.Trace {
			return trace{rec: recordOf(ctx)}
		},
	}
	ln, err := transport.ListenEarly(tlsConf, quicConf)
	if err != nil {
		logger.Fatalf("quic listen: %v", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		group := "none"
		if r.TLS != nil {
			group = fmt.Sprintf("0x%04x", uint16(r.TLS.CurveID))
		}
		say("request remote=%s proto=%s codepoint=%s", r.RemoteAddr, r.Proto, group)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s\n", group)
	})
	server := &http3.Server{Handler: mux}

	say("listening %s", udp.LocalAddr())
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			logger.Fatalf("accept: %v", err)
		}
		go func() {
			logConnection(conn)
			if err := server.ServeQUICConn(conn); err != nil {
				logger.Printf("connection from %s: %v", conn.RemoteAddr(), err)
			}
		}()
	}
}
