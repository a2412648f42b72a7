//! Catching a panicking stage: the panic becomes a [`ReviewError`], logged with the stage name
//! and the panic's location, never with its message (which may quote content text, e.g. a slice
//! index inside a sentence).
//!
//! The process-wide panic hook is wrapped once: while a stage runs on a thread, a panic there is
//! recorded quietly for this module to log; anywhere else the previous hook runs as before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::ReviewError;
use crate::decision::StageKind;

thread_local! {
    static IN_STAGE: Cell<bool> = const { Cell::new(false) };
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_STAGE.with(Cell::get) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                LOCATION.with(|l| *l.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, one stage's review of one event, and turns a panic in it into
/// [`ReviewError::StagePanicked`].
///
/// # Errors
/// The stage panicked.
pub(super) fn run(stage: StageKind, f: impl FnOnce()) -> Result<(), ReviewError> {
    install_hook();
    IN_STAGE.with(|s| s.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_STAGE.with(|s| s.set(false));
    match result {
        Ok(()) => Ok(()),
        Err(_payload) => {
            let location = LOCATION
                .with(|l| l.borrow_mut().take())
                .unwrap_or_else(|| "an unknown place".into());
            tracing::error!(
                stage = stage.as_str(),
                %location,
                "Stage panicked; the event goes to the dead-letter topic as internal_error."
            );
            Err(ReviewError::StagePanicked { stage, location })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_stage_and_a_normal_run_passes() {
        assert_eq!(run(StageKind::Labels, || {}), Ok(()));
        let err = run(StageKind::Labels, || panic!("secret content 赌博")).unwrap_err();
        let ReviewError::StagePanicked { stage, location } = &err;
        assert_eq!(*stage, StageKind::Labels);
        assert!(location.contains("panic_guard.rs"), "{location}");
        assert!(!err.to_string().contains("secret"), "{err}");
        // Outside a stage, panics are not swallowed.
        assert!(panic::catch_unwind(|| panic!("outside")).is_err());
        assert!(!IN_STAGE.with(Cell::get));
    }
}
