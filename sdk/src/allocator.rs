//! The allocator of a plugin built for `wasm32-unknown-unknown`: dlmalloc (what Rust's
//! standard library uses there) with a small granularity, so that a sandbox's heap starts in
//! the free space the linker leaves after the stack and data in the first 64 KiB page.
//!
//! The standard library's own allocator on that target asks `memory.grow` for a new page on
//! the first allocation. Every fresh sandbox would then pay a grow and a page more to reset
//! afterwards. A plugin whose run fits in its first page touches only that page.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use dlmalloc::Dlmalloc;

/// The granularity of dlmalloc's requests for memory: small enough that its first request
/// fits in the rest of the first page (the default, 64 KiB, never does).
const GRANULARITY: usize = 4 << 10;

/// dlmalloc behind `GlobalAlloc`.
struct SandboxAllocator(UnsafeCell<Dlmalloc>);

// SAFETY: a `wasm32-unknown-unknown` plugin has one thread: the sandbox calls it from one
// host thread at a time, and the target has no threads of its own.
unsafe impl Sync for SandboxAllocator {}

impl SandboxAllocator {
    const fn new() -> Self {
        let mut dlmalloc = Dlmalloc::new();
        // A power of two above dlmalloc's minimum: always accepted.
        let _ = dlmalloc.set_granularity(GRANULARITY);
        Self(UnsafeCell::new(dlmalloc))
    }
}

// SAFETY: each method forwards to dlmalloc with the layout it was given; the single thread
// (above) means no two calls overlap.
unsafe impl GlobalAlloc for SandboxAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).malloc(layout.size(), layout.align())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).calloc(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.0.get()).free(ptr, layout.size(), layout.align())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size)
    }
}

#[global_allocator]
static ALLOCATOR: SandboxAllocator = SandboxAllocator::new();
