// Pre-order pages: rows that can be added and removed, product search, live line totals.
// Progressive enhancement only: every form posts and validates without this file.
(() => {
  "use strict";

  let listCounter = 0; // ids of the product suggestion lists

  // --- rows (Django formsets) --------------------------------------------------------------
  // <section data-formset="prefix"> holds the management form, <tbody data-formset-body>,
  // <template data-formset-empty> (the empty form, with __prefix__) and [data-formset-add].

  const firstField = (row) => row.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");

  function addRow(section) {
    const prefix = section.dataset.formset;
    const total = section.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = section.querySelector("template[data-formset-empty]");
    const body = section.querySelector("[data-formset-body]");
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html.trim());
    total.value = String(index + 1);
    const row = body.lastElementChild;
    setUpRow(row);
    const field = firstField(row);
    if (field) field.focus();
    return row;
  }

  function setUpRow(row) {
    row.querySelectorAll("[data-product-search]").forEach(setUpProductSearch);
    row.querySelectorAll("input[name$='-DELETE']").forEach((box) => {
      const sync = () => row.classList.toggle("is-removed", box.checked);
      box.addEventListener("change", sync);
      sync();
    });
  }

  document.querySelectorAll("[data-formset]").forEach((section) => {
    section.querySelectorAll("[data-formset-body] > tr").forEach(setUpRow);
    section.querySelectorAll("[data-formset-add]").forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        addRow(section);
      });
    });
    // Enter in a row's field goes to the next row (a new one after the last) instead of
    // submitting the whole form half-filled. Textareas keep Enter for new lines.
    section.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key !== "Enter" || event.defaultPrevented || target.tagName !== "INPUT") return;
      if (["checkbox", "submit", "button", "file"].includes(target.type)) return;
      const row = target.closest("[data-formset-body] > tr");
      if (!row) return;
      event.preventDefault();
      const next = row.nextElementSibling;
      const field = next ? firstField(next) : null;
      if (field) field.focus();
      else addRow(section);
    });
  });

  // --- product search ------------------------------------------------------------------------
  // An input[data-product-search] inside a form with data-product-api gets a small list of
  // suggestions from GET <api>?search=<text> (the session authenticates). Choosing one puts
  // the SKU in the input; the server resolves it.

  function setUpProductSearch(input) {
    if (input.dataset.searchReady) return;
    input.dataset.searchReady = "1";
    const form = input.closest("[data-product-api]");
    if (!form) return;
    const api = form.dataset.productApi;
    const row = input.closest("tr");
    const nameLabel = row ? row.querySelector("[data-product-name]") : null;
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.id = `product-suggestions-${++listCounter}`;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    let controller = null;
    let timer = null;
    let active = -1;
    let results = [];

    const close = () => {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    };

    const highlight = (index) => {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    };

    const choose = (product) => {
      input.value = product.sku;
      if (nameLabel) nameLabel.textContent = product.name;
      close();
      input.dispatchEvent(new CustomEvent("product-chosen", { bubbles: true, detail: product }));
    };

    const show = (products, text) => {
      results = products;
      list.replaceChildren();
      if (!products.length) {
        const empty = document.createElement("li");
        empty.className = "suggestion-empty";
        empty.textContent = form.dataset.textNoMatch || "—";
        list.append(empty);
      }
      products.forEach((product, i) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${i}`;
        item.setAttribute("role", "option");
        item.dataset.sku = product.sku;
        const sku = document.createElement("strong");
        sku.textContent = product.sku;
        const name = document.createElement("span");
        name.textContent = product.name;
        item.append(sku, name);
        // mousedown, not click: it comes before the input loses focus and closes the list
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(product);
        });
        list.append(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      if (products.length === 1 && products[0].sku.toLowerCase() === text.toLowerCase()) highlight(0);
    };

    const search = () => {
      const text = input.value.trim();
      if (nameLabel) nameLabel.textContent = "";
      if (!text) { close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      const url = `${api}?search=${encodeURIComponent(text)}&is_active=true&page_size=8&ordering=sku`;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: controller.signal })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => {
          if (document.activeElement === input) show(data.results || [], text);
        })
        .catch(() => {});
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      const count = results.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === "Enter" && active >= 0) {
        // pick the highlighted product; the row's Enter handler sees defaultPrevented
        event.preventDefault();
        choose(results[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  document.querySelectorAll("[data-product-search]").forEach(setUpProductSearch);

  // --- live totals of quotation lines ----------------------------------------------------------
  // Rows with [data-qty], [data-price], [data-discount] and a [data-line-total] cell; the sum
  // goes to [data-grand-total]. The server recomputes everything when the draft is saved.

  document.querySelectorAll("[data-live-totals]").forEach((table) => {
    const currency = table.dataset.currencySymbol || "";
    const lang = document.documentElement.lang || "en";
    const fmt = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const num = (input) => {
      const value = parseFloat(input && input.value);
      return Number.isFinite(value) ? value : 0;
    };
    const recompute = () => {
      let total = 0;
      table.querySelectorAll("[data-formset-body] > tr").forEach((row) => {
        const cell = row.querySelector("[data-line-total]");
        if (!cell) return;
        const line = num(row.querySelector("[data-qty]")) * num(row.querySelector("[data-price]"))
          * (1 - num(row.querySelector("[data-discount]")) / 100);
        const removed = row.classList.contains("is-removed");
        cell.textContent = currency + fmt.format(line);
        if (!removed) total += line;
      });
      const grand = table.querySelector("[data-grand-total]");
      if (grand) grand.textContent = currency + fmt.format(total);
    };
    table.addEventListener("input", recompute);
    table.addEventListener("change", recompute);
    table.addEventListener("product-chosen", (event) => {
      // a newly chosen product starts at its list price
      const row = event.target.closest("tr");
      const price = row && row.querySelector("[data-price]");
      if (price && !price.value && event.detail.list_price !== undefined) {
        price.value = event.detail.list_price;
      }
      recompute();
    });
    recompute();
  });
})();
