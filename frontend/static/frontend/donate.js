/* The donation form: Stripe.js card element, then the server creates and confirms the
 * PaymentIntent; 3-D Secure, when the bank asks for it, runs in confirmCardPayment.
 * Works with real Stripe.js and with localstripe's stand-in (createToken is the call
 * both support: see LOCALSTRIPE.md). SEPA needs no Stripe.js: the IBAN goes to our server. */
(function () {
  "use strict";
  const form = document.querySelector("form[data-donation-form]");
  if (!form || typeof Stripe === "undefined") { return; }

  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount(form.querySelector("#card-element"));

  const $ = (selector) => form.querySelector(selector);
  const errorBox = $("[data-form-error]");
  const button = $("[data-donate-button]");

  function showError(message, fields) {
    form.querySelectorAll("[data-field-error]").forEach((el) => { el.textContent = ""; });
    Object.entries(fields || {}).forEach(([name, text]) => {
      const el = form.querySelector(`[data-field-error="${name}"]`);
      if (el) { el.textContent = text; }
    });
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
    if (message) { errorBox.scrollIntoView({block: "center"}); }
  }

  function syncVisibility() {
    const method = (form.querySelector("input[name=method]:checked") || {}).value;
    $("[data-card-fields]").hidden = method !== "card";
    $("[data-sepa-fields]").hidden = method !== "sepa_debit";
    const business = (form.querySelector("input[name=donor_type]:checked") || {}).value === "business";
    $("[data-business-fields]").hidden = !business;
    const parent = $("input[name=is_parent_of_pupil]").checked;
    const receipt = $("input[name=wants_tax_receipt]");
    // A parent of a pupil of the class gets no tax receipt (a counterpart, not a gift).
    receipt.disabled = parent;
    if (parent) { receipt.checked = false; }
    $("[data-address-fields]").hidden = !receipt.checked;
  }
  form.addEventListener("change", syncVisibility);
  syncVisibility();

  $("input[name=amount_other]").addEventListener("input", () => {
    const other = form.querySelector("input[name=amount_choice][value=other]");
    if (other) { other.checked = true; }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    showError("", {});
    try {
      const method = (form.querySelector("input[name=method]:checked") || {}).value;
      if (method === "card") {
        const result = await stripe.createToken(card);
        if (result.error || !result.token) {
          showError((result.error && result.error.message) || "Vérifiez les données de votre carte.", {card: "Carte refusée ou incomplète."});
          return;
        }
        $("input[name=card_payment_method]").value = result.token.card.id;
      }
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: {"Accept": "application/json"},
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError(body.detail || "Le don n'a pas pu être enregistré.", body.fields);
        return;
      }
      if (body.requires_action && body.client_secret) {
        // 3-D Secure: the bank's check, then the return page applies the result.
        await stripe.confirmCardPayment(body.client_secret);
      }
      window.location.assign(body.return_url);
    } catch (err) {
      showError("Le paiement n'a pas pu être lancé. Réessayez dans un instant.", {});
    } finally {
      button.disabled = false;
    }
  });
})();
