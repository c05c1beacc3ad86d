"""The published Amazon tables the truth tests copy their expected values from, one key per table.

Each test case names one of these keys and quotes the row it copied. The Seller Central pages need a login, so they
were read through stored copies of the help pages, Amazon's own announcements and public transcriptions of the tables
(named below); where copies disagree, the case says which value it took and why. An expected value in these tests is
never computed by `fba_audit`: when the code and a row disagree, the code is wrong or the row is marked uncertain.
"""

from __future__ import annotations

SOURCES: dict[str, str] = {
    "size_tiers": (
        "Amazon, Product size tiers, https://sellercentral.amazon.com/gp/help/external/201105770 (2024 table, from "
        "2024-02-05: small standard up to 16 oz, 15 x 12 x 0.75 in; large standard up to 20 lb, 18 x 14 x 8 in; "
        "large bulky up to 50 lb, 59 x 33 x 33 in, length + girth up to 130 in; extra-large above any of these); "
        "Dimensional weight, https://sellercentral.amazon.com/help/hub/reference/external/G53Z9EKF8VVZVH29 "
        "('unit volume divided by 139'; 'a minimum width and height of 2 inches' for oversize, large bulky and "
        "extra-large only); 2024 US FBA fulfillment fee changes, as quoted by huzaifa.org/amazon-new-product-size-"
        "tiers-2024-fee ('Fees for small standard, special oversize, and extra large 150+ lb are calculated using "
        "only unit weight')"
    ),
    "fees_2025": (
        "Amazon, FBA fulfillment fees (non-apparel, 2025-01-15 to 2026-01-14, the 2024 card unchanged), "
        "https://sellercentral.amazon.com/help/hub/reference/external/GPDC3KPYAGDTVDJP; the same 2025 columns are "
        "printed beside the 2026 ones on GABBX6GZPA8MSZGW, and transcribed in davy10281028/amazon-us-cost-calculator "
        "rates.js (commit 428ecb17, column `mid`)"
    ),
    "low_price_2025": (
        "Amazon, Low-Price FBA fees, https://sellercentral.amazon.com/help/hub/reference/GJTAVU7P2W2VE8Q9: "
        "'Low-Price FBA rates are $0.77 less than standard FBA rates' for products priced under $10 "
        "(davy10281028/amazon-us-cost-calculator rates.js commit 428ecb17, column `low`, prints the same rows)"
    ),
    "peak_2025": (
        "Amazon, 2025 holiday peak fulfillment fees, 2025-10-15 to 2026-01-14, 'in line with last year's rates', as "
        "quoted by sellerlabs.com/blog/amazon-fba-peak-fees-2025 (small standard 2 oz or less $3.25, large standard "
        "1.75+ to 2 lb $6.10, 2.75+ to 3 lb $7.03)"
    ),
    "fees_2026": (
        "Amazon, 2026 US FBA fulfillment fee changes, https://sellercentral.amazon.com/help/hub/reference/external/"
        "GABBX6GZPA8MSZGW (non-apparel, from 2026-01-15, price bands under $10 / $10 to $50 / over $50), as read "
        "from the page on 2026-08-27 by davy10281028/amazon-us-cost-calculator and transcribed identically by "
        "Patrick-Zuo-hub/FBA-Fee-Calculator and progami/targonos; Low-Price column: GMUTB89XM7AATPR3"
    ),
    "bulky_2026": (
        "Amazon, GABBX6GZPA8MSZGW, 2026 small bulky / large bulky / extra-large rows, read through the same two "
        "public transcriptions only (no Amazon copy seen): uncertain, so fba-audit must not make them claimable. "
        "Small bulky limits 37 x 28 x 20 in (Patrick-Zuo-hub, progami/targonos) or 26 x 18 x 14 in (an older block "
        "of davy10281028): the cases here are small bulky under both readings"
    ),
    "peak_2026": (
        "Amazon, GABBX6GZPA8MSZGW, 2026 holiday peak table, 2026-10-15 to 2027-01-14, as read by "
        "davy10281028/amazon-us-cost-calculator; standard-size $10-$50 column also in a copy citing amzprep.com, "
        "and Patrick-Zuo-hub/FBA-Fee-Calculator tests it from Amazon's 'US 2026 Peak Fulfillment fees' document"
    ),
    "surcharge_2026": (
        "Amazon: 'Starting April 17, 2026, a 3.5% fuel and logistics-related surcharge will be applied to "
        "fulfillment fees across FBA in the US and Canada' (quoted on GABBX6GZPA8MSZGW per davy10281028; Supply Chain "
        "Dive and CNBC: 'calculated on fulfillment fees'). Rounding to the cent is not published: every case below "
        "has a product whose rounding half up, half even and down all agree"
    ),
    "referral": (
        "Amazon, Referral fees, https://sellercentral.amazon.com/help/hub/reference/external/GTG4BAWSY39Z98Z3 and "
        "the fee schedule https://sellercentral.amazon.com/gp/help/external/200336920, read through "
        "https://sell.amazon.com/pricing as harvested verbatim on 2026-09-21; 'the greater of the applicable referral "
        "fee percentage or applicable per-item minimum referral fee' on 'the total sales price' (item price plus "
        "shipping and gift wrap). No US referral change was announced for 2025 or 2026 "
        "(https://sellingpartners.aboutamazon.com/update-to-u-s-referral-and-fulfillment-by-amazon-fees-for-2026)"
    ),
}
