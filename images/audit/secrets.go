package audit

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"strings"
	"sync"
)

// secretEnvName reports whether an environment variable's name looks like it
// holds a secret (*PASSWORD*, *SECRET*, *TOKEN*, *KEY*, case-insensitive).
// Names ending in _FILE point at a file rather than hold the secret.
func secretEnvName(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_FILE") || strings.HasSuffix(n, "_PATH") {
		return false
	}
	for _, w := range []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// secretKind says what kind of secret file a layer entry's name suggests and
// whether its content must be looked at to decide: "" for none.
func secretKind(name string) (kind string, needContent bool) {
	base := path.Base(name)
	switch {
	case strings.HasSuffix(base, ".pub"):
		return "", false
	case base == "id_rsa" || base == "id_dsa" || base == "id_ecdsa" || base == "id_ed25519":
		return "SSH private key", false
	case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key"):
		return "private key", true // CA certificates are .pem too: only PRIVATE KEY counts
	case base == ".env" || strings.HasPrefix(base, ".env."):
		return ".env file", true
	case base == ".npmrc" || base == ".pypirc" || base == ".netrc" || base == ".git-credentials":
		return "credentials file", true
	case base == "credentials" && path.Base(path.Dir(name)) == ".aws":
		return "AWS credentials", true
	case base == "config.json" && path.Base(path.Dir(name)) == ".docker":
		return "registry credentials", true
	}
	return "", false
}

// credLine matches a line of a credentials file that carries a value.
var credLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(_authtoken|_auth|password|passwd|token|secret|aws_secret_access_key|"auth")\s*[=:]\s*\S`)
})

// secretContent reports whether the first bytes of a file of the given kind
// hold a secret.
func secretContent(kind string, head []byte) bool {
	switch kind {
	case "private key":
		return bytes.Contains(head, []byte("PRIVATE KEY"))
	case ".env file":
		return envHasValue(head)
	}
	return credLine().Match(head)
}

// envHasValue reports whether a .env text sets some variable to a non-empty value.
func envHasValue(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if _, v, ok := strings.Cut(l, "="); ok && strings.Trim(v, `"' `) != "" {
			return true
		}
	}
	return false
}
