/* jpegtutor: a click on a column's name sorts a table of class jpegtutor-sortable by that column
   (numbers by value, text alphabetically, n/a last); a second click reverses the order. */
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.jpegtutor-sortable").forEach((table) => {
    const rows = table.tHead.rows;
    const names = rows[rows.length - 1].cells;
    Array.from(names).forEach((th, column) => {
      th.style.cursor = "pointer";
      th.title = "sort by this column";
      th.addEventListener("click", () => {
        const up = th.getAttribute("aria-sort") !== "ascending";
        Array.from(names).forEach((other) => other.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        const key = (tr) => {
          const cell = tr.cells[column];
          const number = cell && cell.dataset.sort !== undefined ? parseFloat(cell.dataset.sort) : NaN;
          return { number, text: cell ? cell.textContent.trim() : "" };
        };
        const body = table.tBodies[0];
        const sorted = Array.from(body.rows).sort((a, b) => {
          const x = key(a), y = key(b);
          const xn = Number.isFinite(x.number), yn = Number.isFinite(y.number);
          if (xn && yn) return up ? x.number - y.number : y.number - x.number;
          if (xn !== yn) return xn ? -1 : 1;  // n/a last, whatever the direction
          const xa = x.text === "n/a", ya = y.text === "n/a";
          if (xa !== ya) return xa ? 1 : -1;
          return up ? x.text.localeCompare(y.text) : y.text.localeCompare(x.text);
        });
        sorted.forEach((tr) => body.appendChild(tr));
      });
    });
  });
});
