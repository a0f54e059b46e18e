//! Entry point of the browser build: install the panic hook, mount the app.
//! Everything else lives in the library so tests can reach it.

fn main() {
    // Our hook calls console_error_panic_hook's, then shows the crash screen
    // and stops autosave (keeping/crash.rs).
    scalelab_web::keeping::crash::install();
    scalelab_web::mount();
}
