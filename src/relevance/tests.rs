use super::*;

fn seed_model() -> TopicModel {
    let seed = include_str!("../../tests/fixtures/relevance/seed.txt");
    TopicModel::build([TopicDoc { id: "seed", title: "", text: seed }])
}

#[test]
fn smoke() {
    let m = seed_model();
    let c = Candidate { title: "Iran hangs political prisoners", summary: "", text: "", link: None, categories: &[] };
    let v = score(&c, &m, &Rules::default(), &[]);
    eprintln!("{v:?}");
}
