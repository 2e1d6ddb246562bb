// pix2pix serve's page: draw (or drop, or upload) an input, see the model's output beside it.
// The canvas is sent as a PNG to POST /translate a moment after each change; the answer is
// shown with a download link. A token, when the server wants one, comes from #token=... in the
// page's address. window.pix2pixLast holds the last input sent and its output (data: URLs)
// for tests.
"use strict";
(function () {
  const canvas = document.getElementById("input"), ctx = canvas.getContext("2d");
  const out = document.getElementById("output"), status = document.getElementById("status");
  const download = document.getElementById("download");
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const auth = token ? { Authorization: "Bearer " + token } : {};
  let colour = "#000000", background = "#ffffff", drawing = false, last = null;
  // next: the input to send once the one in flight is answered (the latest wins: a drawing's
  // image, or a file as it is)
  let timer = null, busy = false, next = null, sent = 0;
  window.pix2pixLast = { done: 0 };

  function say(text, error) {
    status.textContent = text;
    status.className = error ? "error" : "";
  }

  function clear() {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function swatch(c, title) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "swatch";
    b.style.background = c;
    b.title = title || c;
    b.onclick = () => pick(c, b);
    document.getElementById("colours").appendChild(b);
    return b;
  }

  function pick(c, button) {
    colour = c;
    for (const b of document.querySelectorAll("#colours button")) b.classList.remove("on");
    if (button) button.classList.add("on");
  }

  // The palette: a labels model's colours (--palette) and a picker, else a pen and an eraser.
  function tools(card) {
    const palette = card.palette;
    if (palette && palette.length) {
      background = palette[0];
      palette.forEach((c, i) => { const b = swatch(c); if (i === 1) pick(c, b); });
      const p = document.createElement("input");
      p.type = "color";
      p.title = "another colour";
      p.oninput = () => pick(p.value, null);
      document.getElementById("colours").appendChild(p);
    } else {
      const pen = document.createElement("button"), eraser = document.createElement("button");
      pen.textContent = "pen";
      eraser.textContent = "eraser";
      pen.type = eraser.type = "button";
      pen.id = "pen";
      eraser.id = "eraser";
      pen.onclick = () => { pick("#000000", null); pen.classList.add("on"); };
      eraser.onclick = () => { pick("#ffffff", null); eraser.classList.add("on"); };
      const c = document.getElementById("colours");
      c.appendChild(pen);
      c.appendChild(eraser);
      pen.onclick();
    }
    canvas.width = canvas.height = card.image_size;
    out.width = out.height = card.image_size;
    clear();
  }

  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width,
            (e.clientY - r.top) * canvas.height / r.height];
  }

  function stroke(p) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = +document.getElementById("size").value;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  }

  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    stroke(at(e));
    soon();
  });
  canvas.addEventListener("pointermove", (e) => { if (drawing) { stroke(at(e)); soon(); } });
  for (const ev of ["pointerup", "pointercancel"])
    canvas.addEventListener(ev, () => { drawing = false; soon(); });

  // A translation shortly after the last change; one at a time, the latest input wins.
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(() => canvas.toBlob(send, "image/png"), 250);
  }

  function dataUrl(blob) {
    return new Promise((ok) => { const f = new FileReader(); f.onload = () => ok(f.result); f.readAsDataURL(blob); });
  }

  async function send(blob) {
    if (busy) { next = blob; return; }
    busy = true;
    const t0 = performance.now(), n = ++sent;
    say("translating\u2026");
    try {
      const r = await fetch("/translate", { method: "POST", body: blob,
                                            headers: { "Content-Type": blob.type || "image/png", ...auth } });
      const answer = await r.blob();
      if (!r.ok) {
        const why = JSON.parse(await answer.text()).error;
        say(`${r.status}: ${why}`, true);
      } else {
        if (out.src.startsWith("blob:")) URL.revokeObjectURL(out.src);
        out.src = download.href = URL.createObjectURL(answer);
        download.classList.remove("disabled");
        say(`translated in ${Math.round(performance.now() - t0)} ms`);
        window.pix2pixLast = { done: n, input: await dataUrl(blob), output: await dataUrl(answer) };
      }
    } catch (err) {
      say("the server did not answer: " + err, true);
    }
    busy = false;
    if (next) { const queued = next; next = null; send(queued); }
  }

  // An image from a file: drawn on the canvas (to draw over) and sent as it is.
  function take(file) {
    if (!file) return;
    const img = new Image();
    img.onload = () => {
      clear();
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(img.src);
    };
    img.src = URL.createObjectURL(file);
    clearTimeout(timer);
    send(file);
  }
  document.getElementById("file").onchange = (e) => take(e.target.files[0]);
  canvas.addEventListener("dragover", (e) => { e.preventDefault(); canvas.classList.add("drop"); });
  canvas.addEventListener("dragleave", () => canvas.classList.remove("drop"));
  canvas.addEventListener("drop", (e) => {
    e.preventDefault();
    canvas.classList.remove("drop");
    take(e.dataTransfer.files[0]);
  });
  document.getElementById("clear").onclick = () => { clear(); soon(); };

  fetch("/model", { headers: auth }).then((r) => r.json()).then((card) => {
    if (card.error) throw new Error(card.error);
    const m = card.metadata || {};
    document.getElementById("card").textContent =
      `${card.file}: ${card.architecture}, ${card.direction}, ${card.image_size}\u00d7${card.image_size}, ` +
      `${card.input_nc}\u2192${card.output_nc} channels, norm ${card.norm}, on ${card.devices}` +
      (m.name ? `, experiment ${m.name}` : "") + (m.epoch ? `, epoch ${m.epoch}` : "");
    tools(card);
  }).catch((err) => say("cannot read the model: " + err.message, true));
})();
