// Lưu Động: the few things a page does without a round trip. Everything works without it.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-rotate]");
  if (!button) return;
  const image = document.getElementById(button.getAttribute("data-rotate"));
  const turn = ((Number(image.dataset.turn) || 0) + 90) % 360;
  image.dataset.turn = String(turn);
  // A quarter turn swaps width and height: fit the turned page to the box's width and give
  // the box the turned height, so the page never covers the links above or below it.
  const quarter = turn % 180 !== 0;
  const box = image.parentElement;
  image.style.maxHeight = quarter ? box.clientWidth + "px" : "";
  const shift = quarter ? (image.offsetWidth - image.offsetHeight) / 2 : 0;
  box.style.height = quarter ? image.offsetWidth + "px" : "";
  image.style.transform = "translateY(" + shift + "px) rotate(" + turn + "deg)";
});
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-print]");
  if (button) window.print();
});
// Counter intake: where the browser has a camera, a webcam frame of the ID card goes into the
// card's file input as if it were a chosen photo ("Chụp bằng webcam", then "Chụp").
function showCameras(root) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  root.querySelectorAll("[data-camera]").forEach(function (button) {
    button.parentElement.hidden = false;
  });
}
if (window.htmx) window.htmx.onLoad(showCameras);
else document.addEventListener("DOMContentLoaded", function () { showCameras(document); });
document.addEventListener("click", async function (event) {
  const button = event.target.closest("[data-camera]");
  if (!button) return;
  const box = button.parentElement;
  const input = document.getElementById(button.getAttribute("data-camera"));
  let video = box.querySelector("video");
  let status = box.querySelector("[role=status]");
  if (!status) {
    status = document.createElement("span");
    status.setAttribute("role", "status");
    box.appendChild(status);
  }
  if (!video) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1920 } } });
      video = document.createElement("video");
      video.setAttribute("playsinline", "");
      video.setAttribute("aria-label", "Hình từ webcam");
      video.muted = true;
      video.srcObject = stream;
      box.insertBefore(video, button);
      await video.play();
      button.textContent = "Chụp";
      status.textContent = " Đưa mặt sau căn cước (có mã QR) vào khung hình rồi bấm «Chụp».";
    } catch (error) {
      status.textContent = " Không mở được webcam: hãy chọn ảnh đã chụp.";
    }
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  video.srcObject.getTracks().forEach(function (track) { track.stop(); });
  video.remove();
  const blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.92); });
  const files = new DataTransfer();
  files.items.add(new File([blob], "webcam-cccd.jpg", { type: "image/jpeg" }));
  input.files = files.files;
  button.textContent = "Chụp lại";
  status.textContent = " Đã chụp một ảnh: bấm «Đọc mã QR trên căn cước».";
});
// A form that changes something for good asks first (data-confirm). The listener runs in the
// capture phase, so a cancelled form reaches neither htmx nor the browser.
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
