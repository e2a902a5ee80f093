//! Field-bus I/O for Powerdeck: transports, codecs and the device simulator live here.
//!
//! The crate is deliberately free of Leptos and sea-orm so protocol code can be tested and reused
//! on its own. It is empty until the field I/O issue lands; the workspace wiring exists now so the
//! dependency direction (`server -> devices`, never the reverse) is fixed from the start.
