// Knowledge-base hook of the request form (SPEC §6b): while the requester types a subject,
// ask /portal/kb-suggest (the console's pass-through of GET /api/v1/kb/suggest) and list what
// it answers in #kb-suggestions. Until the knowledge base exists the answer is 204 and the
// box stays hidden; the form never depends on it.
(function () {
  "use strict";
  var box = document.querySelector("[data-kb-hook]");
  var subject = document.getElementById("subject");
  var description = document.getElementById("description");
  if (!box || !subject || !window.fetch) { return; }
  var list = box.querySelector("ul");
  var timer = null, last = "";

  function items(answer) {
    if (Array.isArray(answer)) { return answer; }
    return (answer && (answer.data || answer.suggestions || answer.articles)) || [];
  }

  function show(found) {
    list.textContent = "";
    found.slice(0, 5).forEach(function (item) {
      var li = document.createElement("li");
      var title = item.title || item.symptom || item.subject || "";
      if (item.url) {
        var a = document.createElement("a");
        a.href = item.url;
        a.textContent = title;
        li.appendChild(a);
      } else {
        li.textContent = title;
      }
      var more = item.summary || item.fix || "";
      if (more) {
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = more;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.hidden = found.length === 0;
  }

  function ask() {
    var q = (subject.value + " " + (description ? description.value : "")).trim().slice(0, 200);
    if (q.length < 3 || q === last) { return; }
    last = q;
    fetch("/portal/kb-suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (answer) { if (answer) { show(items(answer)); } })
      .catch(function () {});
  }

  function later() { clearTimeout(timer); timer = setTimeout(ask, 400); }
  subject.addEventListener("input", later);
  if (description) { description.addEventListener("input", later); }
})();
