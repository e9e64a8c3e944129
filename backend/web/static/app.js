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
