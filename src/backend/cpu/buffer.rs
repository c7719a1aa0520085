//! A typed CPU buffer that either owns its elements or borrows memory owned by
//! someone else (a NumPy array for `from_numpy`), kept alive by `owner`.

use std::any::Any;
use std::ptr::NonNull;

pub struct Buffer<T> {
    ptr: NonNull<T>,
    len: usize,
    _owner: Owner<T>,
}

enum Owner<T> {
    Vec(#[allow(dead_code)] Vec<T>),
    Foreign(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
}

// Safety: the buffer is plain data; access is serialised by the RwLock in
// `StorageCell`, and a foreign owner is `Send + Sync` by construction.
unsafe impl<T: Send> Send for Buffer<T> {}
// Safety: as for Send.
unsafe impl<T: Sync> Sync for Buffer<T> {}

impl<T: Copy> Buffer<T> {
    pub fn from_vec(mut v: Vec<T>) -> Self {
        let len = v.len();
        // why: a Vec's pointer is never null (dangling but aligned when empty).
        let ptr = NonNull::new(v.as_mut_ptr()).unwrap_or(NonNull::dangling());
        Buffer {
            ptr,
            len,
            _owner: Owner::Vec(v),
        }
    }
    /// # Safety
    /// `ptr` must point to `len` initialised, aligned elements that stay valid
    /// while `owner` is alive.
    pub unsafe fn from_foreign(ptr: *mut T, len: usize, owner: Box<dyn Any + Send + Sync>) -> Self {
        let ptr = NonNull::new(ptr).unwrap_or(NonNull::dangling());
        Buffer {
            ptr,
            len,
            _owner: Owner::Foreign(owner),
        }
    }
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // Safety: ptr/len describe a live allocation (see constructors).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // Safety: as above, and `&mut self` gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn as_ptr(&self) -> *const T {
        self.ptr.as_ptr()
    }
}
