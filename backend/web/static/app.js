// Lưu Động: the few things a page does without a round trip. Everything works without it.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-rotate]");
  if (!button) return;
  const image = document.getElementById(button.getAttribute("data-rotate"));
  const turn = ((Number(image.dataset.turn) || 0) + 90) % 360;
  image.dataset.turn = String(turn);
  image.style.transform = "rotate(" + turn + "deg)";
});
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-print]");
  if (button) window.print();
});
