"""Cross-cutting pieces: database base, permissions, audit log, security, errors."""
