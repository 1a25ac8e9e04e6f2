// Saves each answer as it changes, shows saved / failed, retries failures, shows and hides
// conditional questions as the server decides, and offers a choice on conflicts.
// Without this script the section's save button does the same work.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form || !form.dataset.autosave) { return; }
  var texts = form.dataset;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var pending = {};   // question id -> true while a change waits to be saved
  var timers = {};
  var inflight = {};
  var note = document.getElementById("autosave-note");
  if (note) { note.hidden = false; }

  function block(element) { return element.closest("[data-question]"); }
  function status(qid, text, css) {
    var el = form.querySelector('[data-status-for="' + CSS.escape(qid) + '"]');
    if (el) { el.textContent = text; el.className = "save-status " + (css || ""); }
  }

  function body(qid) {
    var data = new FormData();
    data.append("csrf_token", csrf);
    var node = document.getElementById("q-" + qid);
    node.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!input.name || input.disabled || input.type === "file") { return; }
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) { return; }
      data.append(input.name, input.value);
    });
    return data;
  }

  function schedule(qid, delay) {
    pending[qid] = true;
    clearTimeout(timers[qid]);
    timers[qid] = setTimeout(function () { save(qid, 0); }, delay);
  }

  function save(qid, attempt) {
    if (inflight[qid]) { schedule(qid, 300); return; }
    inflight[qid] = true;
    status(qid, texts.savingText, "text-body-secondary");
    fetch(form.dataset.autosave.replace("__QID__", encodeURIComponent(qid)), {
      method: "POST", body: body(qid), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (payload) { return [response.status, payload]; });
    }).then(function (result) {
      inflight[qid] = false;
      var code = result[0], payload = result[1];
      if (code === 200) {
        delete pending[qid];
        var node = document.getElementById("q-" + qid);
        node.querySelector('input[name="version[' + qid + ']"]').value = payload.version;
        clearError(node, qid);
        status(qid, texts.savedText + " ✓", "text-success");
        Object.keys(payload.visible).forEach(function (other) {
          var target = document.getElementById("q-" + other);
          if (target) { target.hidden = !payload.visible[other]; }
        });
        var progress = document.querySelector("[data-progress]");
        if (progress) {
          progress.textContent = texts.progressText
            .replace("__A__", payload.progress.answered_required)
            .replace("__R__", payload.progress.required);
        }
      } else if (code === 409 && payload.conflict) {
        delete pending[qid];
        showConflict(qid, payload);
      } else if (code === 422 || code === 404 || code === 403 || code === 409) {
        delete pending[qid];
        showError(qid, payload.error ? payload.error.message : String(code),
          payload.error ? payload.error.field : null);
      } else {
        throw new Error("HTTP " + code);
      }
    }).catch(function () {
      inflight[qid] = false;
      // Network failure or server error: keep the change and try again, ever more slowly.
      status(qid, texts.failedText, "text-danger fw-semibold");
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt));
      timers[qid] = setTimeout(function () { save(qid, attempt + 1); }, delay);
    });
  }

  // The input a refused value's path names ("value.1.stage" is "<qid>[1][stage]"), if it is one
  // the message can follow (not one of a group of radio buttons or boxes).
  function inputFor(node, qid, field) {
    if (!field || field.indexOf("value.") !== 0) { return null; }
    var name = qid + field.slice(6).split(".").map(function (part) {
      return "[" + part + "]";
    }).join("");
    var input = node.querySelector('[name="' + CSS.escape(name) + '"]');
    return input && input.type !== "radio" && input.type !== "checkbox" ? input : null;
  }

  function clearError(node, qid) {
    node.classList.remove("border-danger");
    node.querySelectorAll(".autosave-error").forEach(function (el) { el.remove(); });
    var shown = document.getElementById(qid + "-error");  // from a section save that failed
    if (shown) { shown.remove(); }
    node.querySelectorAll('[aria-invalid="true"]').forEach(function (input) {
      input.removeAttribute("aria-invalid");
      if (input.getAttribute("aria-describedby") === qid + "-error") {
        input.removeAttribute("aria-describedby");
      }
    });
  }

  // The message goes next to the input at fault when the path names one, else above the inputs.
  function showError(qid, message, field) {
    var node = document.getElementById("q-" + qid);
    clearError(node, qid);
    node.classList.add("border-danger");
    var error = document.createElement("div");
    error.id = qid + "-error";
    error.setAttribute("role", "alert");
    error.textContent = message;
    var input = inputFor(node, qid, field);
    if (input) {
      error.className = "text-danger small mt-1 autosave-error";
      input.insertAdjacentElement("afterend", error);
      input.setAttribute("aria-invalid", "true");
      if (!input.hasAttribute("aria-describedby")) {
        input.setAttribute("aria-describedby", error.id);
      }
    } else {
      error.className = "text-danger mb-2 autosave-error";
      var fieldset = node.querySelector("fieldset");
      fieldset.insertBefore(error, fieldset.children[1]);
    }
    status(qid, "", "");
  }

  function showConflict(qid, payload) {
    var node = document.getElementById("q-" + qid);
    var panel = document.createElement("div");
    panel.className = "alert alert-warning conflict";
    panel.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = texts.conflictText + " " + payload.conflict.value_text +
      (payload.conflict.by ? " — " + payload.conflict.by : "");
    var keep = document.createElement("button");
    keep.type = "button"; keep.className = "btn btn-sm btn-primary me-2"; keep.textContent = texts.keepText;
    var theirs = document.createElement("button");
    theirs.type = "button"; theirs.className = "btn btn-sm btn-outline-secondary"; theirs.textContent = texts.theirsText;
    panel.appendChild(text); panel.appendChild(keep); panel.appendChild(theirs);
    node.querySelector(".card-body").prepend(panel);
    keep.addEventListener("click", function () {
      node.querySelector('input[name="version[' + qid + ']"]').value = payload.conflict.version;
      panel.remove();
      save(qid, 0);
    });
    theirs.addEventListener("click", function () {
      var holder = document.createElement("div");
      holder.innerHTML = payload.conflict.html;
      var fresh = holder.firstElementChild;
      fresh.querySelectorAll(".alert-warning").forEach(function (el) { el.remove(); });
      node.replaceWith(fresh);
      status(qid, "", "");
    });
    status(qid, "", "");
  }

  form.addEventListener("input", function (event) {
    var node = block(event.target);
    if (!node || event.target.type === "file") { return; }
    var typed = event.target.tagName === "TEXTAREA" || (event.target.tagName === "INPUT" &&
      ["text", "url", "email", "tel", "search"].indexOf(event.target.type) >= 0);
    schedule(node.dataset.question, typed ? 800 : 50);
  });
  form.addEventListener("change", function (event) {
    var node = block(event.target);
    if (!node || event.target.type === "file") { return; }
    if (event.target.type === "checkbox" && event.target.value === "__none__" && event.target.checked) {
      node.querySelectorAll('input[type=checkbox]').forEach(function (box) {
        if (box !== event.target) { box.checked = false; }
      });
    } else if (event.target.type === "checkbox" && event.target.checked) {
      var none = node.querySelector('input[type=checkbox][value="__none__"]');
      if (none) { none.checked = false; }
    }
    schedule(node.dataset.question, 50);
  });
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length) { event.preventDefault(); event.returnValue = ""; }
  });
})();
