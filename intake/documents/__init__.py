"""Documents attached to an intake: what a file is (by its bytes), where files are kept, and the
upload handler that stops an oversized file before it fills the disk."""
