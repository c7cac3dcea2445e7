//! What an erased customer's orders keep: their stored answers and baskets without what
//! could name the customer, every amount kept. The centre's erasure and a store node's
//! forwarded orders both apply it.

/// What a rejection's detail reads once its customer is erased.
pub const ERASED_DETAIL: &str = "(detail erased with the customer)";

/// An order's stored answer without what could name its customer: each rejected campaign's
/// detail (it may quote the customer's id, tier, segments or attributes) is replaced by
/// [`ERASED_DETAIL`]; reasons and every amount stay. An answer that does not read as JSON
/// is kept as it is.
pub(super) fn anonymised_answer(answer: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(answer) else {
        return answer.to_string();
    };
    if let Some(rejected) = value.get_mut("rejected").and_then(|r| r.as_array_mut()) {
        for campaign in rejected {
            if let Some(detail) = campaign.get_mut("detail") {
                *detail = ERASED_DETAIL.into();
            }
        }
    }
    value.to_string()
}

/// What an erased customer's orders keep of them in the basket a return re-prices: their
/// tier and segments, which thousands share and which plugins may price by, under the id
/// [`ERASED_CUSTOMER`]; their id, birth date and attributes go. A basket that does not
/// read as JSON is kept as it is.
pub(super) fn anonymised_basket(basket: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(basket) else {
        return basket.to_string();
    };
    if let Some(customer) = value.get_mut("customer").and_then(|c| c.as_object_mut()) {
        customer.retain(|field, _| matches!(field.as_str(), "loyalty_tier" | "segments"));
        customer.insert("id".into(), ERASED_CUSTOMER.into());
    }
    value.to_string()
}

/// The customer id an erased customer's orders price returns under.
pub const ERASED_CUSTOMER: &str = "(erased)";
