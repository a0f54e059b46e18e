//! The live run's engine off the web: the worker's session on the page's own
//! thread, for native builds and tests. Each job goes through its message
//! text and each reply back through its own, as to and from the worker, and
//! each poll ticks the session and hands its hops over packed, as the worker
//! does after each tick; so a native test of [`crate::run::live_run`] runs
//! the same protocol the page does.

use crate::run::live_run::{Engine, Inbox};
use scalelab_engine::hops;
use scalelab_engine::job::{Job, Reply, Session};
use scalelab_engine::Hop;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Loopback {
    session: Session,
    inbox: Rc<RefCell<Inbox>>,
    buffer: Vec<Hop>,
}

impl Loopback {
    pub fn new(inbox: Rc<RefCell<Inbox>>) -> Loopback {
        Loopback { session: Session::default(), inbox, buffer: Vec::new() }
    }
}

impl Engine for Loopback {
    fn send(&mut self, job: &Job) {
        let inbox = &self.inbox;
        let mut hear = |reply: Reply| inbox.borrow_mut().reply(Reply::from_json(&reply.to_json()));
        match Job::from_json(&job.to_json()) {
            Ok(job) => {
                self.session.receive(job, &mut hear);
            }
            Err(message) => hear(Reply::Failed { message }),
        }
    }

    /// Runs the session to where wall time `now_ms` says, all of it (a test
    /// has no frame to keep).
    fn poll(&mut self, now_ms: f64) {
        let inbox = &self.inbox;
        self.session
            .tick(now_ms, &mut || true, &mut |reply| inbox.borrow_mut().reply(Reply::from_json(&reply.to_json())));
        if let Some(drained) = self.session.drain_hops(&mut self.buffer) {
            inbox.borrow_mut().hops(&hops::pack(drained, &self.buffer), now_ms);
        }
    }
}
