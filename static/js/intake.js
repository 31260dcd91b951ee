// Order entry: the customer search, fields that only some channels have, the price a line
// gets when no unit price is typed, and Enter that moves on instead of submitting.
// Runs after preorder.js (rows, product search, live totals, OMS.suggest). Progressive
// enhancement only: the form posts and validates without it.
(() => {
  "use strict";

  // --- customer search: pick a customer, the page reloads with its contacts and addresses -----
  document.querySelectorAll("[data-customer-search]").forEach((input) => {
    const form = input.closest("[data-customer-api]");
    if (!form || !window.OMS) return;
    const api = form.dataset.customerApi;
    window.OMS.suggest(input, {
      url: (text) => `${api}?search=${encodeURIComponent(text)}&is_active=true&page_size=8&ordering=code`,
      label: (customer) => [customer.code, customer.name],
      exact: (customer, text) => customer.code.toLowerCase() === text.toLowerCase(),
      noMatch: form.dataset.textNoMatch,
      choose: (customer) => {
        input.value = customer.code;
        const url = new URL(form.dataset.entryUrl, window.location.href);
        url.searchParams.set("customer", customer.id);
        window.location.assign(url.toString());
      },
    });
  });

  const entry = document.querySelector("[data-order-entry]");
  if (!entry) return;

  // --- fields of some channels only (scan: e-mail, fax; confirmation date: phone) -----------
  const channel = entry.querySelector("select[name=channel]");
  const syncChannel = () => {
    entry.querySelectorAll("[data-channel-only]").forEach((field) => {
      field.hidden = !channel || !field.dataset.channelOnly.split(" ").includes(channel.value);
    });
  };
  if (channel) {
    channel.addEventListener("change", syncChannel);
    syncChannel();
  }

  // --- Enter in a header field goes to the next field (the buttons submit) ------------------
  entry.querySelectorAll("[data-enter-moves]").forEach((area) => {
    area.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key !== "Enter" || event.defaultPrevented) return;
      if (target.tagName !== "INPUT" && target.tagName !== "SELECT") return;
      if (["checkbox", "submit", "button", "file"].includes(target.type)) return;
      event.preventDefault();
      const fields = Array.from(entry.querySelectorAll("input, select, textarea, button"))
        .filter((el) => el.type !== "hidden" && !el.disabled && !el.closest("[hidden]") && el.offsetParent !== null);
      const next = fields[fields.indexOf(target) + 1];
      if (next) next.focus();
    });
  });

  // --- the price a line gets when its unit price is left empty --------------------------------
  // GET <price api>?customer=<id>&sku=<sku> → {unit_price, discount_percent, source, unit_price_display}
  const priceApi = entry.dataset.priceApi;
  const customer = entry.dataset.customer;
  const table = entry.querySelector("[data-price-hints]");
  const requests = new WeakMap();

  function showHint(row, found) {
    const hint = row.querySelector("[data-price-hint]");
    const price = row.querySelector("[data-price]");
    const discount = row.querySelector("[data-discount]");
    if (!hint || !price) return;
    if (!found) {
      hint.textContent = "";
      hint.className = "price-hint";
      price.placeholder = "";
      delete price.dataset.defaultPrice;
      if (discount) delete discount.dataset.defaultDiscount;
    } else {
      const contract = found.source === "contract";
      const label = contract ? entry.dataset.textContractPrice : entry.dataset.textListPrice;
      const off = contract && parseFloat(found.discount_percent) ? ` −${found.discount_percent}%` : "";
      hint.textContent = `${label} ${found.unit_price_display}${off}`;
      hint.className = `price-hint ${contract ? "contract" : "list"}`;
      hint.title = entry.dataset.textPriceHelp || "";
      price.placeholder = found.unit_price;
      price.dataset.defaultPrice = found.unit_price;
      if (discount) {
        if (contract) discount.dataset.defaultDiscount = found.discount_percent;
        else delete discount.dataset.defaultDiscount;
      }
    }
    if (table) table.dispatchEvent(new CustomEvent("prices-changed"));
  }

  function loadHint(row) {
    const input = row.querySelector("[data-product-search]");
    const sku = input ? input.value.trim() : "";
    if (!sku || !priceApi || !customer) { showHint(row, null); return; }
    if (requests.get(row)) requests.get(row).abort();
    const controller = new AbortController();
    requests.set(row, controller);
    const url = `${priceApi}?customer=${encodeURIComponent(customer)}&sku=${encodeURIComponent(sku)}`;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: controller.signal })
      .then((response) => (response.ok ? response.json() : null))
      .then((found) => showHint(row, found))
      .catch(() => {});
  }

  if (table) {
    table.addEventListener("product-chosen", (event) => {
      const row = event.target.closest("tr");
      if (row) loadHint(row);
    });
    // a SKU typed (or pasted) without picking a suggestion
    table.addEventListener("change", (event) => {
      if (!event.target.matches("[data-product-search]")) return;
      const row = event.target.closest("tr");
      if (row) loadHint(row);
    });
    table.querySelectorAll("[data-formset-body] > tr").forEach(loadHint);
  }
})();
