package tak

import (
	"archive/zip"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// DataPackage is what a device imports to connect to the mission's TLS endpoint: a TAK data
// package (a zip whose MANIFEST/manifest.xml lists its contents) holding a preferences file
// with the connection string HOST:PORT:ssl and the locations and password of two PKCS#12
// files, the truststore (the mission's CA) and the device's keystore (its key and
// certificate).
type DataPackage struct {
	Name     string // the device's name, used for file names inside the package
	Host     string // the server's address as the device will reach it
	Port     int    // the TLS port, 8089 by convention
	CA       *CA
	Client   *ClientCert
	Password string // protects both PKCS#12 files; NewPassword makes one
}

// NewPassword returns a random password for the PKCS#12 files: 16 hex digits, easy to type
// on a phone when a client asks for it.
func NewPassword() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// ConnectString is the client's cot_streams entry: HOST:PORT:ssl.
func (p *DataPackage) ConnectString() string {
	return p.Host + ":" + strconv.Itoa(p.Port) + ":ssl"
}

// WriteTo writes the package as a zip.
func (p *DataPackage) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	if strings.ContainsAny(p.Name, `/\:`) || p.Name == "" {
		return 0, fmt.Errorf("data package: device name %q cannot name a file", p.Name)
	}
	// Legacy (3DES, SHA-1 MAC) PKCS#12 is what every TAK client can open, older Android and
	// iOS versions included; the password only guards the files on their way to the device.
	keystore, err := pkcs12.LegacyDES.Encode(p.Client.Key, p.Client.Cert, nil, p.Password)
	if err != nil {
		return 0, fmt.Errorf("data package: keystore: %w", err)
	}
	truststore, err := pkcs12.LegacyDES.EncodeTrustStore([]*x509.Certificate{p.CA.Cert}, p.Password)
	if err != nil {
		return 0, fmt.Errorf("data package: truststore: %w", err)
	}
	base := "truce-" + p.Name
	keystoreName := "certs/" + p.Name + ".p12"
	files := []struct {
		name string
		body []byte
	}{
		{"certs/truststore-truce.p12", truststore},
		{keystoreName, keystore},
		{"certs/" + base + ".pref", p.preferences("cert/truststore-truce.p12", "cert/"+p.Name+".p12")},
	}
	var m manifest
	m.Version = "2"
	m.Config.Params = []param{
		{"uid", base + "-" + shortSerial(p.Client.Cert)},
		{"name", base},
		{"onReceiveDelete", "true"},
	}
	for _, f := range files {
		m.Contents = append(m.Contents, content{Ignore: "false", ZipEntry: f.name})
	}
	mx, err := xml.MarshalIndent(&m, "", "  ")
	if err != nil {
		return 0, err
	}
	zw := zip.NewWriter(cw)
	now := time.Now()
	write := func(name string, body []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		_, err = fw.Write(body)
		return err
	}
	if err := write("MANIFEST/manifest.xml", append([]byte(xml.Header), mx...)); err != nil {
		return cw.n, err
	}
	for _, f := range files {
		if err := write(f.name, f.body); err != nil {
			return cw.n, err
		}
	}
	err = zw.Close()
	return cw.n, err
}

// preferences is the .pref file: the connection and where the client will find the
// certificates once it has imported them.
func (p *DataPackage) preferences(truststore, keystore string) []byte {
	var b strings.Builder
	entry := func(key, class, value string) {
		b.WriteString(`    <entry key="`)
		xml.EscapeText(&b, []byte(key))
		b.WriteString(`" class="class java.lang.` + class + `">`)
		xml.EscapeText(&b, []byte(value))
		b.WriteString("</entry>\n")
	}
	b.WriteString("<?xml version='1.0' standalone='yes'?>\n<preferences>\n")
	b.WriteString(`  <preference version="1" name="cot_streams">` + "\n")
	entry("count", "Integer", "1")
	entry("description0", "String", "truce "+p.Host)
	entry("enabled0", "Boolean", "true")
	entry("connectString0", "String", p.ConnectString())
	b.WriteString("  </preference>\n")
	b.WriteString(`  <preference version="1" name="com.atakmap.app_preferences">` + "\n")
	entry("displayServerConnectionWidget", "Boolean", "true")
	entry("caLocation", "String", truststore)
	entry("caPassword", "String", p.Password)
	entry("clientPassword", "String", p.Password)
	entry("certificateLocation", "String", keystore)
	b.WriteString("  </preference>\n</preferences>\n")
	return []byte(b.String())
}

type manifest struct {
	XMLName xml.Name `xml:"MissionPackageManifest"`
	Version string   `xml:"version,attr"`
	Config  struct {
		Params []param `xml:"Parameter"`
	} `xml:"Configuration"`
	Contents []content `xml:"Contents>Content"`
}

type param struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type content struct {
	Ignore   string `xml:"ignore,attr"`
	ZipEntry string `xml:"zipEntry,attr"`
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// shortSerial is the first 16 hex digits of a certificate's serial number: enough to tell
// two packages for the same device apart.
func shortSerial(c *x509.Certificate) string {
	s := c.SerialNumber.Text(16)
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}
