"""Sources (recorded files; later the live firehose and Jetstream) and sinks (the lake)."""
