//! A hint to the processor to bring memory into the cache before it is read.
//! It changes no result: on targets without the instruction (WebAssembly) it
//! does nothing.

/// Starts loading the cache line that holds `*value`.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the pointer comes from a reference; a prefetch reads nothing
    // the program sees and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(value as *const T as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
