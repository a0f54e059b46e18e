//! Entry point of the browser build: install the panic hook, mount the app.
//! Everything else lives in the library so tests can reach it.

fn main() {
    console_error_panic_hook::set_once();
    scalelab_web::mount();
}
