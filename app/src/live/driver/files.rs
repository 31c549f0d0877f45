//! Uploading files for the next message: `POST /api/files` through `XMLHttpRequest` (the one
//! browser API that reports upload progress), one request per file, each tracked in
//! [`Chat::uploads`]. Browser only: a file to upload exists only there.

use protocol::links::{self, files as fields};
use protocol::{Attachment, http::HttpError};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

use super::*;
use crate::uploads::human_size;

impl Chat {
    /// Uploads files (picked, pasted or dropped) to the room on screen; too large ones are
    /// refused here, before a byte is sent.
    pub fn attach(&self, files: Vec<File>) {
        let Some(key) = self.active.get_untracked() else {
            return;
        };
        self.attach_to(files, key);
    }

    /// Uploads files for the next reply in the open thread (v1.22): they wait in the
    /// thread's own tray.
    pub fn attach_to_thread(&self, files: Vec<File>) {
        let (Some(key), Some(root)) = (self.active.get_untracked(), self.thread.get_untracked())
        else {
            return;
        };
        self.attach_to(files, crate::uploads::thread_slot(&key, root));
    }

    /// Uploads files to the room on screen for the message written in `slot` (the room's
    /// key, or a thread's slot).
    fn attach_to(&self, files: Vec<File>, key: String) {
        let Some(room) = self.with_shown_untracked(|view| view.name.clone()) else {
            return;
        };
        let max = self.max_upload.get_untracked();
        for file in files {
            let size = file.size() as u64;
            let name = file.name();
            let upload = self
                .uploads
                .try_update(|uploads| uploads.add(&key, &name, size));
            let Some(upload) = upload else { return };
            if size > max {
                let reason = format!("too large (at most {})", human_size(max));
                self.uploads
                    .update(|uploads| uploads.finish(upload, Err(reason)));
                continue;
            }
            if let Err(reason) = self.send_file(upload, &room, &file) {
                self.uploads
                    .update(|uploads| uploads.finish(upload, Err(reason)));
            }
        }
    }

    /// Starts one upload; its progress and answer land in [`Chat::uploads`].
    fn send_file(&self, upload: u64, room: &str, file: &File) -> Result<(), String> {
        let failed = |_| "could not start the upload".to_owned();
        let form = FormData::new().map_err(failed)?;
        form.append_with_str(fields::ROOM, room).map_err(failed)?;
        form.append_with_blob_and_filename(fields::FILE, file, &file.name())
            .map_err(failed)?;
        let request = XmlHttpRequest::new().map_err(failed)?;
        request.open("POST", links::FILES).map_err(failed)?;
        let uploads = self.uploads;
        let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |ev: ProgressEvent| {
            if ev.length_computable() {
                uploads.update(|list| list.progress(upload, ev.loaded() as u64));
            }
        });
        request
            .upload()
            .map_err(failed)?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
        let answered = request.clone();
        let on_end = Closure::<dyn Fn()>::new(move || {
            let result = read_answer(&answered);
            uploads.update(|list| list.finish(upload, result));
        });
        request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
        on_end.forget();
        request.send_with_opt_form_data(Some(&form)).map_err(failed)
    }
}

/// The attachment, or what to tell the person.
fn read_answer(request: &XmlHttpRequest) -> Result<Attachment, String> {
    let status = request.status().unwrap_or(0);
    let body = request.response_text().ok().flatten().unwrap_or_default();
    if status == 0 {
        return Err("the upload was interrupted".into());
    }
    if (200..300).contains(&status) {
        return serde_json::from_str(&body).map_err(|e| format!("unexpected answer: {e}"));
    }
    Err(serde_json::from_str::<HttpError>(&body)
        .map(|error| error.error.message)
        .unwrap_or_else(|_| format!("the server answered {status}")))
}
