// Uploads with a progress bar per file, drag and drop onto the library, and the refusal's
// reason shown beside the file. Without this script the forms post as they are.
(function () {
  "use strict";
  // Included by several parts of one page (an item's attachments, each own comment's): once.
  if (window.rseFilesUploads) return;
  window.rseFilesUploads = true;

  function csrf(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function row(list, name) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var said = document.createElement("span");
    item.append(label, bar, said);
    list.append(item);
    return { bar: bar, said: said };
  }

  function send(form, file, shown) {
    return new Promise(function (resolve) {
      var body = new FormData();
      var folder = form.querySelector("input[name=folder]");
      if (folder) body.append("folder", folder.value);
      body.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-CSRF-Token", csrf(form));
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) shown.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      request.addEventListener("load", function () {
        if (request.status === 201) {
          shown.bar.value = 100;
          shown.said.textContent = form.dataset.done || "";
          resolve(true);
          return;
        }
        var message = form.dataset.failed;
        try { message = JSON.parse(request.responseText).error.message; } catch (e) { /* keep it */ }
        shown.said.textContent = message;
        shown.said.className = "bad";
        resolve(false);
      });
      request.addEventListener("error", function () {
        shown.said.textContent = form.dataset.failed;
        shown.said.className = "bad";
        resolve(false);
      });
      request.send(body);
    });
  }

  function upload(form, files) {
    var list = form.querySelector(".files-progress");
    var limit = Number(form.dataset.max || 0);
    var sent = [];
    Array.prototype.forEach.call(files, function (file) {
      var shown = row(list, file.name);
      if (limit && file.size > limit) {
        shown.said.textContent = form.dataset.tooLarge;
        shown.said.className = "bad";
        return;
      }
      sent.push(send(form, file, shown));
    });
    Promise.all(sent).then(function (results) {
      if (results.length && results.every(Boolean)) window.location.reload();
    });
  }

  document.querySelectorAll("form.files-upload").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      if (!input.files.length) return;
      event.preventDefault();
      upload(form, input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (kind) {
      form.addEventListener(kind, function (event) {
        event.preventDefault();
        form.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (kind) {
      form.addEventListener(kind, function () { form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) upload(form, event.dataTransfer.files);
    });
  });
})();
